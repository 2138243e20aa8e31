//! Black-box: the real server on a real socket, and the binary's subcommands.

use std::process::Command;

use junggye::cache::Cache;
use junggye::config::Config;
use junggye::kakao::Nav;
use junggye::state::AppState;
use junggye::{http_server, router};
use serde_json::Value;

use crate::helpers::{Backend, TestDb, assert_valid, free_port, payload, wait_for_port};

#[tokio::test]
async fn the_server_answers_over_http_and_drains_on_shutdown() {
    let t = TestDb::new(Backend::Sqlite).await;
    let state = AppState::from_parts(
        Config::for_tests("sqlite://unused.db"),
        t.db.clone(),
        Cache::memory(),
        Nav::default(),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(http_server::serve(listener, router::router(state), async {
        let _ = stopped.await;
    }));

    let client = reqwest::Client::new();
    let health: Value = client
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");

    let body = payload("u1")
        .param("name", "홍길동")
        .param("phone", "01012345678")
        .build();
    let response = client
        .post(format!("http://{addr}/skill/members/join"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    let reply: Value = response.json().await.unwrap();
    assert_valid(&reply);

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    assert!(
        client.get(format!("http://{addr}/healthz")).send().await.is_err(),
        "closed after shutdown"
    );
}

fn binary() -> Command {
    let mut cmd = crate::helpers::junggye_in(&tempfile::tempdir().unwrap().keep());
    // Tests run servers side by side: each metrics listener takes a free port.
    cmd.env("METRICS_ADDR", "127.0.0.1:0");
    cmd
}

#[test]
fn check_config_prints_the_effective_configuration_with_secrets_redacted() {
    let out = binary()
        .arg("check-config")
        .env("SKILL_SECRET", "top-secret-value")
        .env("DATABASE_URL", "postgres://app:db-password@db.internal/market")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8(out.stdout).unwrap();
    assert!(printed.contains("SKILL_SECRET=(set)"), "{printed}");
    assert!(
        printed.contains("postgres://app:***@db.internal/market"),
        "{printed}"
    );
    assert!(
        !printed.contains("top-secret-value") && !printed.contains("db-password"),
        "{printed}"
    );
}

#[test]
fn check_config_prints_every_variable_as_documented_and_no_secret_value() {
    // Every secret carries the same marker, so one search finds any that leaks.
    let production = [
        ("APP_ENV", "production"),
        ("PUBLIC_URL", "https://market.example"),
        ("KAKAO_BOT_ID", "65a1f0c2e4b7d93a1c8e5f20"),
        ("SKILL_SECRET", "skill-leaked-0123456789abcdef0123456789"),
        ("JWT_SECRET", "jwt-leaked-0123456789abcdef0123456789"),
        ("SKILL_LOG_HASH_KEY", "log-leaked-0123456789abcdef0123456789"),
        ("DATABASE_URL", "postgres://app:db-leaked@db.internal/market"),
        ("REDIS_URL", "redis://:redis-leaked@cache.internal:6379/0"),
        ("IMAGE_STORAGE", "s3"),
        ("S3_BUCKET", "market-images"),
        ("S3_ACCESS_KEY_ID", "AKIAEXAMPLE"),
        ("S3_SECRET_ACCESS_KEY", "s3-leaked"),
        ("KAKAOPAY_SECRET_KEY", "PRDpay-leaked"),
        ("PAY_LINK_SECRET", "link-leaked-0123456789abcdef0123456789"),
        ("KAKAO_REST_API_KEY", "rest-leaked"),
        ("LOG_FORMAT", "json"),
    ];
    let development = [("APP_ENV", "development"), ("DEV_EMULATOR", "off")];
    for (env, lines) in [
        (
            &production[..],
            &[
                "APP_ENV=production",
                "LOG_FORMAT=json",
                "DEV_EMULATOR=off",
                "IMAGE_STORAGE=s3",
                "S3_PATH_STYLE=false",
                "DEALS_ENABLED=true",
                "DATABASE_URL=postgres://app:***@db.internal/market",
                "REDIS_URL=redis://:***@cache.internal:6379/0",
                "SKILL_SECRET=(set)",
                "JWT_SECRET=(set)",
                "SKILL_LOG_HASH_KEY=(set)",
                "S3_SECRET_ACCESS_KEY=(set)",
                "KAKAOPAY_SECRET_KEY=(set)",
                "PAY_LINK_SECRET=(set)",
                "KAKAO_REST_API_KEY=(set)",
            ][..],
        ),
        (
            &development[..],
            &[
                "APP_ENV=development",
                "LOG_FORMAT=text",
                "IMAGE_STORAGE=local",
                "IMAGE_STORAGE_SHARED=false",
                "SKILL_SECRET=(unset)",
                "JWT_SECRET=(unset)",
            ][..],
        ),
    ] {
        let out = binary()
            .arg("check-config")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let printed = String::from_utf8(out.stdout).unwrap();
        for variable in junggye::config::VARIABLES {
            let prefix = format!("{}=", variable.name);
            assert!(
                printed.lines().any(|l| l.starts_with(&prefix)),
                "`{}` is not printed:\n{printed}",
                variable.name
            );
        }
        for line in lines {
            assert!(
                printed.lines().any(|l| l == *line),
                "missing `{line}` in:\n{printed}"
            );
        }
        assert!(!printed.contains("leaked"), "{printed}");
        assert!(
            !printed.contains("Production") && !printed.contains("Json"),
            "{printed}"
        );
    }
}

#[test]
fn check_config_fails_on_an_invalid_or_insecure_production_configuration() {
    let out = binary()
        .arg("check-config")
        .env("APP_ENV", "production")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("SKILL_SECRET") && err.contains("JWT_SECRET"),
        "{err}"
    );

    let out = binary()
        .arg("check-config")
        .env("BIND_ADDR", "not-an-address")
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn check_config_reads_the_blocks_file_as_serve_does_and_refuses_the_templates_ids() {
    let template = concat!(env!("CARGO_MANIFEST_DIR"), "/skills/blocks.example.toml");
    let out = binary()
        .arg("check-config")
        .env("KAKAO_BLOCKS_FILE", template)
        .output()
        .unwrap();
    assert!(!out.status.success(), "the template's ids passed");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("placeholder"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("blocks.toml");
    std::fs::write(&real, "withdraw = \"65a1f1d3a9c04e2b7f6d8e11\"\n").unwrap();
    let out = binary()
        .arg("check-config")
        .env("KAKAO_BLOCKS_FILE", &real)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn migrate_creates_the_sqlite_database_on_the_embedded_default() {
    let dir = tempfile::tempdir().unwrap();
    let out = binary().current_dir(dir.path()).arg("migrate").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("data/junggye.db").exists());
}

#[test]
fn serve_drains_and_exits_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = binary()
        .current_dir(dir.path())
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .arg("serve")
        .spawn()
        .unwrap();
    wait_for_port(port, "server");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let stopping = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            stopping.elapsed() < std::time::Duration::from_secs(10),
            "server did not stop on SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn metrics_are_served_on_their_own_listener_and_not_on_the_public_port() {
    let dir = tempfile::tempdir().unwrap();
    let (port, metrics_port) = (free_port(), free_port());
    let mut child = binary()
        .current_dir(dir.path())
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("METRICS_ADDR", format!("127.0.0.1:{metrics_port}"))
        .env("RUST_LOG", "warn")
        .arg("serve")
        .spawn()
        .unwrap();
    crate::helpers::wait_for_port_async(port, "server").await;
    let client = reqwest::Client::new();
    let skill = client
        .post(format!("http://127.0.0.1:{port}/skill/members/me"))
        .json(&payload("metrics-user").build())
        .send()
        .await
        .unwrap();
    assert_eq!(skill.status(), 200);

    let public = client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 404);
    let scraped = client
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    let content_type = scraped.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = scraped.text().await.unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    for series in [
        "junggye_skill_request_duration_seconds_count{route=\"/skill/members/me\",outcome=\"not_member\"} 1",
        "junggye_http_requests_total{route=\"/skill/members/me\",method=\"POST\",status=\"200\"} 1",
        "junggye_db_pool_max_connections 16",
    ] {
        assert!(text.contains(series), "missing `{series}` in:\n{text}");
    }
}

#[test]
fn a_taken_metrics_address_stops_the_server_with_a_clear_message() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let out = binary()
        .env("BIND_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("METRICS_ADDR", taken.local_addr().unwrap().to_string())
        .arg("serve")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("METRICS_ADDR"), "{err}");
}

/// Sends `head` and then `drip` one byte a second, until the server closes the connection; returns how
/// long that took (or panics after `give_up`) and whatever the server answered.
async fn drip_until_closed(
    addr: std::net::SocketAddr,
    head: String,
    give_up: std::time::Duration,
) -> (std::time::Duration, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let started = std::time::Instant::now();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        assert!(
            started.elapsed() < give_up,
            "connection still open after {give_up:?}"
        );
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => return (started.elapsed(), String::from_utf8_lossy(&answer).into_owned()),
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            },
            () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {
                // A write to a connection the server closed may fail; the next read tells.
                let _ = stream.write_all(b"a").await;
            }
        }
    }
}

#[tokio::test]
async fn clients_that_send_headers_or_bodies_a_byte_at_a_time_are_cut_off() {
    use junggye::http_server::{BODY_READ_DEADLINE, HEADER_READ_TIMEOUT};
    let t = TestDb::new(Backend::Sqlite).await;
    let state = AppState::from_parts(
        Config::for_tests("sqlite://unused.db"),
        t.db.clone(),
        Cache::memory(),
        Nav::default(),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(http_server::serve(
        listener,
        router::router(state),
        std::future::pending(),
    ));

    let give_up = HEADER_READ_TIMEOUT.max(BODY_READ_DEADLINE) + std::time::Duration::from_secs(5);
    let slow_head = "POST /skill/members/join HTTP/1.1\r\nHost: bot\r\nX-Slow: ".to_owned();
    let slow_body = "POST /skill/members/join HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n\
                     Content-Length: 100000\r\n\r\n{\"a\":\""
        .to_owned();
    let mut clients = Vec::new();
    for i in 0..100 {
        let head = if i % 2 == 0 {
            slow_head.clone()
        } else {
            slow_body.clone()
        };
        clients.push(tokio::spawn(drip_until_closed(addr, head, give_up)));
    }
    for (i, client) in clients.into_iter().enumerate() {
        let (took, answer) = client.await.unwrap();
        let limit = if i % 2 == 0 {
            HEADER_READ_TIMEOUT
        } else {
            BODY_READ_DEADLINE
        };
        assert!(
            took >= limit - std::time::Duration::from_secs(1),
            "closed early ({took:?}): {answer}"
        );
        if i % 2 == 1 {
            assert!(
                answer.starts_with("HTTP/1.1 4"),
                "a slow body is refused, not served: {answer}"
            );
        }
    }
    // The server still serves a client that sends at a normal pace.
    let health = reqwest::get(format!("http://{addr}/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
}
