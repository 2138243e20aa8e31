# syntax=docker/dockerfile:1
# 중계나라 server image.
#
#   docker build -t junggye .
#   docker run -p 8080:8080 -v junggye-data:/data --env-file production.env junggye
#
# Configuration comes only from the environment (see the README's table); no secret is baked in.

# --- build -------------------------------------------------------------------------------------------
FROM rust:1.95-bookworm AS build
WORKDIR /src

# Dependencies first, against an empty crate, so source edits do not rebuild them (layer cache). The
# workspace's path crate (crates/kakao-skill) is a dependency like the others.
COPY Cargo.toml Cargo.lock rustfmt.toml askama.toml build.rs ./
COPY crates/kakao-skill/Cargo.toml ./crates/kakao-skill/Cargo.toml
COPY crates/kakao-skill/src ./crates/kakao-skill/src
RUN mkdir -p src examples \
 && echo 'fn main() {}' > src/main.rs \
 && echo '' > src/lib.rs \
 && echo 'fn main() {}' > examples/ceiling.rs \
 && echo 'fn main() {}' > examples/pay_bench.rs \
 && cargo build --release --locked --bin junggye \
 && rm -rf src examples

# Everything compiled into the binary: code, migrations, the skill catalogue, the deal sources, the
# placeholder image.
COPY src ./src
COPY migrations ./migrations
COPY skills ./skills
COPY deals ./deals
COPY assets ./assets
# The debug info is split off (kept in this stage, at /usr/local/lib/junggye.debug, for a debugger) and the
# shipped binary keeps only its symbols, so panics still name their functions. scripts/image-build runs these
# same commands outside Docker in CI and runs the result.
RUN touch src/main.rs src/lib.rs \
 && cargo build --release --locked --bin junggye \
 && objcopy --only-keep-debug target/release/junggye /usr/local/lib/junggye.debug \
 && objcopy --strip-debug --add-gnu-debuglink=/usr/local/lib/junggye.debug \
      target/release/junggye /usr/local/bin/junggye

# --- run ---------------------------------------------------------------------------------------------
FROM debian:bookworm-slim AS run
# Unpinned on purpose: the suite's current packages carry its security fixes; the base image tag pins the suite.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin junggye \
 && mkdir -p /data \
 && chown junggye:junggye /data

COPY --from=build /usr/local/bin/junggye /usr/local/bin/junggye

# Embedded defaults, pointed at the volume; override any of them (and set the secrets) at run time.
ENV APP_ENV=production \
    BIND_ADDR=0.0.0.0:8080 \
    DATABASE_URL=sqlite:///data/junggye.db \
    IMAGE_DIR=/data/images \
    METRICS_ADDR=0.0.0.0:9464 \
    LOG_FORMAT=json

USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
# 8080: the app (put nginx in front). 9464: /metrics, for the monitoring network only; never publish it.
EXPOSE 8080 9464

HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["curl", "-fsS", "http://127.0.0.1:8080/healthz"]

ENTRYPOINT ["/usr/local/bin/junggye"]
CMD ["serve"]
