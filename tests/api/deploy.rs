//! The Docker Compose deployment (`deploy/`), checked without a Docker engine: every variable it sets is
//! one the server reads, its filled-in configuration passes `junggye check-config`, the compose file has
//! the shape the README describes (read by a small YAML reader below, which refuses anything outside
//! the plain block style the file uses), and its nginx configuration is the shipped template rendered for
//! the compose network, accepted by `nginx -t`.
//!
//! The nginx check needs `nginx` and `openssl` on the PATH, as `tests/api/nginx.rs` does; it fails, never
//! skips, without them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use crate::helpers::junggye_in;
use crate::nginx::{certificate, require};

const DEPLOY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy");

fn read(name: &str) -> String {
    let path = Path::new(DEPLOY).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// --- env files ------------------------------------------------------------------------------------------

/// `NAME=value` lines of an env file, in order. With `commented`, also `# NAME=value` lines (optional
/// settings shown commented out), so their names are checked too.
fn env_entries(text: &str, commented: bool) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            let line = match line.strip_prefix('#') {
                Some(rest) if commented => rest.trim_start(),
                Some(_) => return None,
                None => line,
            };
            let (name, value) = line.split_once('=')?;
            let is_name = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                && name.starts_with(|c: char| c.is_ascii_uppercase());
            is_name.then(|| (name.to_owned(), value.to_owned()))
        })
        .collect()
}

fn env_map(name: &str) -> BTreeMap<String, String> {
    let entries = env_entries(&read(name), false);
    let map: BTreeMap<String, String> = entries.iter().cloned().collect();
    assert_eq!(map.len(), entries.len(), "{name} sets a variable twice");
    map
}

/// The value every `change-me-…` placeholder in `value` stands for: the same placeholder always gets the
/// same value (the database password appears in two files), and each is long enough for any key.
fn filled(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(at) = rest.find("change-me") {
        out.push_str(&rest[..at]);
        let token_len = rest[at..]
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
            .unwrap_or(rest.len() - at);
        let what = rest[at..at + token_len]
            .trim_start_matches("change-me")
            .trim_matches('-');
        out.push_str(&format!("filled-{what}-7d1e4c0b9a8f6e5d4c3b2a1908f7e6d5c4b3a291"));
        rest = &rest[at + token_len..];
    }
    out.push_str(rest);
    out
}

fn known_variables() -> BTreeSet<&'static str> {
    junggye::config::VARIABLES.iter().map(|v| v.name).collect()
}

// --- a small YAML reader ----------------------------------------------------------------------------------

/// A YAML node of the block style the compose file is written in.
#[derive(Debug, PartialEq)]
enum Yaml {
    Map(Vec<(String, Yaml)>),
    Seq(Vec<Yaml>),
    Str(String),
    Null,
}

impl Yaml {
    fn get(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The node at a path of mapping keys; panics naming the path when it is missing.
    fn at(&self, path: &[&str]) -> &Yaml {
        path.iter().fold(self, |node, key| {
            node.get(key)
                .unwrap_or_else(|| panic!("compose.yaml: no `{}`", path.join(".")))
        })
    }

    fn str(&self) -> &str {
        match self {
            Yaml::Str(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }

    fn keys(&self) -> Vec<&str> {
        match self {
            Yaml::Map(entries) => entries.iter().map(|(k, _)| k.as_str()).collect(),
            other => panic!("not a mapping: {other:?}"),
        }
    }

    fn strs(&self) -> Vec<&str> {
        match self {
            Yaml::Seq(items) => items.iter().map(Yaml::str).collect(),
            other => panic!("not a sequence: {other:?}"),
        }
    }

    /// The `key` of every mapping in a sequence.
    fn strs_of(&self, key: &str) -> Vec<&str> {
        match self {
            Yaml::Seq(items) => items.iter().map(|item| item.at(&[key]).str()).collect(),
            other => panic!("not a sequence: {other:?}"),
        }
    }
}

struct Line {
    number: usize,
    indent: usize,
    text: String,
}

/// Parses the block subset of YAML: mappings with plain keys, sequences, plain and quoted scalars, flow
/// sequences of scalars and empty `{}` / `[]`. Anchors, aliases, tags, multi-line scalars, several
/// documents and tabs are refused, as are duplicate keys and stray indentation.
fn parse_yaml(text: &str) -> Result<Yaml, String> {
    let mut lines = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        let body = raw.trim_start_matches(' ');
        if body.starts_with('\t') {
            return Err(format!("line {number}: tab in indentation"));
        }
        let text = strip_comment(body).trim_end().to_owned();
        if text.is_empty() {
            continue;
        }
        if text == "---" || text == "..." || text.starts_with('%') {
            return Err(format!(
                "line {number}: directives and document markers are not used here"
            ));
        }
        lines.push(Line {
            number,
            indent: raw.len() - body.len(),
            text,
        });
    }
    if lines.is_empty() {
        return Ok(Yaml::Null);
    }
    let mut pos = 0;
    let indent = lines[0].indent;
    let doc = block(&mut lines, &mut pos, indent)?;
    match lines.get(pos) {
        Some(line) => Err(format!("line {}: unexpected indentation", line.number)),
        None => Ok(doc),
    }
}

/// `text` without a comment: `#` at the start or after a space, outside quotes.
fn strip_comment(text: &str) -> &str {
    let mut quote = None;
    let mut previous = ' ';
    for (at, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' && previous == ' ' => return &text[..at],
            None => {}
        }
        previous = c;
    }
    text
}

fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

fn block(lines: &mut [Line], pos: &mut usize, indent: usize) -> Result<Yaml, String> {
    if is_item(&lines[*pos].text) {
        sequence(lines, pos, indent)
    } else {
        mapping(lines, pos, indent)
    }
}

/// `key: rest` when `text` is a mapping entry with a plain key.
fn split_key(text: &str) -> Option<(&str, &str)> {
    let (key, rest) = match text.split_once(": ") {
        Some((key, rest)) => (key, rest.trim()),
        None => (text.strip_suffix(':')?, ""),
    };
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    plain.then_some((key, rest))
}

fn mapping(lines: &mut [Line], pos: &mut usize, indent: usize) -> Result<Yaml, String> {
    let mut entries: Vec<(String, Yaml)> = Vec::new();
    while let Some(line) = lines.get(*pos) {
        if line.indent < indent {
            break;
        }
        let number = line.number;
        if line.indent > indent || is_item(&line.text) {
            return Err(format!("line {number}: unexpected indentation or sequence item"));
        }
        let (key, rest) =
            split_key(&line.text).ok_or_else(|| format!("line {number}: expected `key: value`"))?;
        let (key, rest) = (key.to_owned(), rest.to_owned());
        *pos += 1;
        let value = if !rest.is_empty() {
            scalar(&rest).map_err(|e| format!("line {number}: {e}"))?
        } else {
            match lines.get(*pos) {
                Some(next) if next.indent > indent => {
                    let inner = next.indent;
                    block(lines, pos, inner)?
                }
                // A sequence may sit at its key's own indentation.
                Some(next) if next.indent == indent && is_item(&next.text) => sequence(lines, pos, indent)?,
                _ => Yaml::Null,
            }
        };
        if entries.iter().any(|(k, _)| *k == key) {
            return Err(format!("line {number}: duplicate key `{key}`"));
        }
        entries.push((key, value));
    }
    Ok(Yaml::Map(entries))
}

fn sequence(lines: &mut [Line], pos: &mut usize, indent: usize) -> Result<Yaml, String> {
    let mut items = Vec::new();
    while let Some(line) = lines.get(*pos) {
        if line.indent != indent || !is_item(&line.text) {
            if line.indent > indent {
                return Err(format!("line {}: unexpected indentation", line.number));
            }
            break;
        }
        let number = line.number;
        let rest = line.text[1..].trim_start().to_owned();
        if rest.is_empty() {
            *pos += 1;
            match lines.get(*pos) {
                Some(next) if next.indent > indent => {
                    let inner = next.indent;
                    items.push(block(lines, pos, inner)?);
                }
                _ => items.push(Yaml::Null),
            }
        } else if split_key(&rest).is_some() && !rest.starts_with(['"', '\'', '[', '{']) {
            // `- key: value` opens a mapping whose keys line up after the dash.
            let inner = indent + (line.text.len() - rest.len());
            lines[*pos].indent = inner;
            lines[*pos].text = rest;
            items.push(mapping(lines, pos, inner)?);
        } else {
            items.push(scalar(&rest).map_err(|e| format!("line {number}: {e}"))?);
            *pos += 1;
        }
    }
    Ok(Yaml::Seq(items))
}

fn scalar(text: &str) -> Result<Yaml, String> {
    match text {
        "{}" => return Ok(Yaml::Map(Vec::new())),
        "[]" => return Ok(Yaml::Seq(Vec::new())),
        "~" | "null" => return Ok(Yaml::Null),
        _ => {}
    }
    if let Some(inner) = text.strip_prefix('[') {
        let inner = inner
            .strip_suffix(']')
            .ok_or("a flow sequence must end on its line")?;
        return flow_items(inner)?
            .iter()
            .map(|item| quoted_or_plain(item.trim()))
            .collect::<Result<Vec<_>, _>>()
            .map(Yaml::Seq);
    }
    quoted_or_plain(text)
}

/// The items of a flow sequence, split at commas outside quotes.
fn flow_items(inner: &str) -> Result<Vec<String>, String> {
    let mut items = vec![String::new()];
    let mut quote = None;
    let mut escaped = false;
    for c in inner.chars() {
        match quote {
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == ',' => {
                items.push(String::new());
                continue;
            }
            None if matches!(c, '[' | ']' | '{' | '}') => return Err("nested flow collections".into()),
            None => {}
        }
        items.last_mut().unwrap().push(c);
    }
    if quote.is_some() {
        return Err("unterminated quote".into());
    }
    Ok(items)
}

fn quoted_or_plain(text: &str) -> Result<Yaml, String> {
    if let Some(inner) = text.strip_prefix('"') {
        let inner = inner.strip_suffix('"').ok_or("unterminated double quote")?;
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('"') => out.push('"'),
                    Some('\\') => out.push('\\'),
                    Some('n') => out.push('\n'),
                    other => return Err(format!("unsupported escape \\{other:?}")),
                },
                '"' => return Err("text after a closing quote".into()),
                c => out.push(c),
            }
        }
        return Ok(Yaml::Str(out));
    }
    if let Some(inner) = text.strip_prefix('\'') {
        let inner = inner.strip_suffix('\'').ok_or("unterminated single quote")?;
        if inner.replace("''", "").contains('\'') {
            return Err("text after a closing quote".into());
        }
        return Ok(Yaml::Str(inner.replace("''", "'")));
    }
    if text.is_empty()
        || text.starts_with([
            '&', '*', '!', '|', '>', '@', '`', '{', '[', ']', '}', ',', '?', '%',
        ])
        || text.starts_with("- ")
        || text.contains(": ")
        || text.ends_with(':')
    {
        return Err(format!("`{text}` is not a plain scalar this reader accepts"));
    }
    Ok(Yaml::Str(text.to_owned()))
}

fn compose() -> Yaml {
    parse_yaml(&read("compose.yaml")).unwrap_or_else(|e| panic!("deploy/compose.yaml: {e}"))
}

const APPS: [&str; 2] = ["app1", "app2"];

/// A service's fixed address on the edge network.
fn edge_address<'a>(compose: &'a Yaml, service: &str) -> &'a str {
    compose
        .at(&["services", service, "networks", "edge", "ipv4_address"])
        .str()
}

// --- the tests ----------------------------------------------------------------------------------------

#[test]
fn the_yaml_reader_reads_what_it_accepts_and_refuses_the_rest() {
    let doc = parse_yaml(
        "a:\n  b: \"x: #1\" # note\n  c: [\"CMD\", 'it''s', plain]\n  d:\n    - e: 1\n      f: {}\n    - g\n  h:\n",
    )
    .unwrap();
    assert_eq!(doc.at(&["a", "b"]).str(), "x: #1");
    assert_eq!(doc.at(&["a", "c"]).strs(), ["CMD", "it's", "plain"]);
    let Yaml::Seq(items) = doc.at(&["a", "d"]) else {
        panic!("d is a sequence")
    };
    assert_eq!(items[0].at(&["e"]).str(), "1");
    assert_eq!(items[0].at(&["f"]), &Yaml::Map(Vec::new()));
    assert_eq!(items[1].str(), "g");
    assert_eq!(doc.at(&["a", "h"]), &Yaml::Null);
    for bad in [
        "a: 1\na: 2\n",
        "a:\n  b: 1\n    c: 2\n",
        "a: &x 1\n",
        "a: |\n  text\n",
        "a:\n\tb: 1\n",
        "a: \"open\n",
        "a: b: c\n",
    ] {
        assert!(parse_yaml(bad).is_err(), "accepted {bad:?}");
    }
}

#[test]
fn every_variable_the_deployment_sets_is_one_the_server_reads() {
    let known = known_variables();
    let example = env_entries(&read("production.env.example"), true);
    assert!(example.len() > 20, "the example lists the production settings");
    for (name, _) in &example {
        assert!(
            known.contains(name.as_str()),
            "production.env.example sets {name}, which the server does not read"
        );
    }
    let compose = compose();
    let services = compose.at(&["services"]);
    let mut seen = 0;
    for service in services.keys() {
        if let Some(environment) = services.at(&[service]).get("environment") {
            for name in environment.keys() {
                seen += 1;
                assert!(
                    known.contains(name),
                    "compose.yaml sets {name} for {service}, which the server does not read"
                );
            }
        }
    }
    assert!(seen >= 2, "BIND_ADDR is set per instance in compose.yaml");
}

#[test]
fn the_production_example_filled_in_passes_check_config() {
    let example = env_map("production.env.example");
    for (name, value) in [
        ("APP_ENV", "production"),
        ("IMAGE_STORAGE", "s3"),
        ("LOG_FORMAT", "json"),
    ] {
        assert_eq!(example.get(name).map(String::as_str), Some(value), "{name}");
    }
    for name in [
        "PUBLIC_URL",
        "DATABASE_URL",
        "REDIS_URL",
        "SKILL_SECRET",
        "KAKAO_BOT_ID",
        "JWT_SECRET",
        "KAKAOPAY_SECRET_KEY",
        "KAKAOPAY_CID",
        "PAY_LINK_SECRET",
        "KAKAO_REST_API_KEY",
        "S3_BUCKET",
        "S3_ACCESS_KEY_ID",
        "S3_SECRET_ACCESS_KEY",
        "TRUSTED_PROXIES",
        "METRICS_ADDR",
    ] {
        assert!(example.contains_key(name), "production.env.example lacks {name}");
    }
    assert!(example["PUBLIC_URL"].starts_with("https://"));
    assert!(example["DATABASE_URL"].starts_with("postgres://"));

    let compose = compose();
    let app_environment = compose.at(&["services", "app1", "environment"]);
    let check_config = |vars: &BTreeMap<String, String>| {
        let dir = tempfile::tempdir().unwrap();
        let mut command = junggye_in(dir.path());
        command.envs(vars).arg("check-config");
        for name in app_environment.keys() {
            command.env(name, app_environment.at(&[name]).str());
        }
        command.output().unwrap()
    };

    // Copied but not filled in, it does not start: the keys are too short.
    let out = check_config(&example);
    assert!(!out.status.success(), "the unfilled example passed check-config");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("JWT_SECRET") && err.contains("PAY_LINK_SECRET"),
        "{err}"
    );

    let filled: BTreeMap<String, String> = example.iter().map(|(k, v)| (k.clone(), filled(v))).collect();
    assert!(!filled.values().any(|v| v.contains("change-me")));
    let out = check_config(&filled);
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the filled-in example failed check-config:\n{}\n{printed}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(printed.contains("172.28.0.10"), "{printed}");
    let database_password = filled["DATABASE_URL"]
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(user, _)| user.split_once(':'))
        .map(|(_, password)| password.to_owned())
        .unwrap();
    for secret in [
        &filled["SKILL_SECRET"],
        &filled["JWT_SECRET"],
        &filled["PAY_LINK_SECRET"],
        &filled["KAKAOPAY_SECRET_KEY"],
        &filled["KAKAO_REST_API_KEY"],
        &filled["S3_SECRET_ACCESS_KEY"],
        &database_password,
    ] {
        assert!(
            !printed.contains(secret.as_str()),
            "check-config printed a secret:\n{printed}"
        );
    }

    // The alternative the example shows commented out, photos on a volume both instances share, passes too.
    let mut local = filled.clone();
    for name in ["IMAGE_STORAGE", "IMAGE_DIR", "IMAGE_STORAGE_SHARED"] {
        let (_, value) = env_entries(&read("production.env.example"), true)
            .into_iter()
            .find(|(n, v)| n == name && *v != example.get(name).cloned().unwrap_or_default())
            .unwrap_or_else(|| panic!("the example shows {name} for a shared volume"));
        local.insert(name.to_owned(), value);
    }
    assert_eq!(local["IMAGE_STORAGE"], "local");
    let out = check_config(&local);
    assert!(
        out.status.success(),
        "the shared-volume alternative failed check-config:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_database_settings_of_both_env_files_agree() {
    let app = env_map("production.env.example");
    let postgres = env_map("postgres.env.example");
    let url = &app["DATABASE_URL"];
    let expected = format!(
        "postgres://{}:{}@postgres:5432/{}",
        postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"], postgres["POSTGRES_DB"]
    );
    assert_eq!(
        url, &expected,
        "DATABASE_URL names the compose postgres service's user, password and database"
    );
    assert_eq!(filled(url), filled(&expected));
}

#[test]
fn the_compose_file_runs_two_instances_behind_nginx_on_postgres_and_redis() {
    let compose = compose();
    let services = compose.at(&["services"]);
    let mut names = services.keys();
    names.sort_unstable();
    assert_eq!(names, ["app1", "app2", "migrate", "nginx", "postgres", "redis"]);

    // The app image, built from the repository's Dockerfile, for the instances and the migration job.
    for service in ["migrate", "app1", "app2"] {
        let s = services.at(&[service]);
        assert_eq!(s.at(&["build", "context"]).str(), "..", "{service}");
        assert_eq!(s.at(&["build", "dockerfile"]).str(), "Dockerfile", "{service}");
        assert_eq!(s.at(&["image"]).str(), "junggye:local", "{service}");
        assert_eq!(s.at(&["env_file"]).str(), "production.env", "{service}");
        assert_eq!(
            s.at(&["depends_on", "postgres", "condition"]).str(),
            "service_healthy"
        );
    }
    assert_eq!(services.at(&["migrate", "command"]).strs(), ["migrate"]);
    for app in APPS {
        let s = services.at(&[app]);
        assert_eq!(s.at(&["command"]).strs(), ["serve"]);
        assert_eq!(s.at(&["environment", "BIND_ADDR"]).str(), "0.0.0.0:8080");
        assert_eq!(
            s.at(&["depends_on", "migrate", "condition"]).str(),
            "service_completed_successfully"
        );
        assert_eq!(
            s.at(&["depends_on", "redis", "condition"]).str(),
            "service_healthy"
        );
        assert_eq!(
            services.at(&["nginx", "depends_on", app, "condition"]).str(),
            "service_healthy"
        );
    }
    assert!(Path::new(DEPLOY).join("../Dockerfile").is_file());

    // PostgreSQL 16 and Redis 7, each with a volume and a health check.
    for (service, image, volume) in [
        ("postgres", "postgres:16", "pgdata:/var/lib/postgresql/data"),
        ("redis", "redis:7", "redisdata:/data"),
    ] {
        let s = services.at(&[service]);
        assert_eq!(s.at(&["image"]).str(), image);
        assert!(s.at(&["volumes"]).strs().contains(&volume), "{service}");
        assert!(!s.at(&["healthcheck", "test"]).strs().is_empty(), "{service}");
        let named = volume.split_once(':').unwrap().0;
        assert_eq!(
            compose.at(&["volumes", named]),
            &Yaml::Null,
            "{named} is declared"
        );
    }
    assert_eq!(services.at(&["postgres", "env_file"]).str(), "postgres.env");

    // nginx: the TLS configuration and certificates from this directory.
    let nginx = services.at(&["nginx"]);
    let mounts = nginx.at(&["volumes"]).strs();
    assert!(
        mounts.contains(&"./nginx.conf:/etc/nginx/nginx.conf:ro"),
        "{mounts:?}"
    );
    assert!(mounts.contains(&"./certs:/etc/nginx/certs:ro"), "{mounts:?}");
    assert!(Path::new(DEPLOY).join("nginx.conf").is_file());
    assert!(Path::new(DEPLOY).join("certs").is_dir());
    assert_eq!(nginx.at(&["ports"]).strs(), ["80:80", "443:443"]);

    // Fixed addresses in the edge subnet: nginx's is what the instances trust, the instances' are what
    // nginx.conf names. Other containers (migrate, one-off commands) are given addresses from ip_range only,
    // so none can take a fixed one.
    let ipam = compose.at(&["networks", "edge", "ipam", "config"]);
    assert_eq!(ipam.strs_of("subnet"), ["172.28.0.0/24"]);
    assert_eq!(ipam.strs_of("ip_range"), ["172.28.0.128/25"]);
    let nginx_address = edge_address(&compose, "nginx");
    for address in [
        nginx_address,
        edge_address(&compose, "app1"),
        edge_address(&compose, "app2"),
    ] {
        let host: u8 = address
            .strip_prefix("172.28.0.")
            .and_then(|host| host.parse().ok())
            .unwrap_or_else(|| panic!("{address} is not in the edge subnet"));
        assert!((2..128).contains(&host), "{address} lies outside ip_range");
    }
    assert_eq!(
        services.at(&["migrate", "networks"]).keys(),
        ["edge", "data"],
        "migrate reaches the database (and, for one-off commands, the internet)"
    );
    assert!(
        services
            .at(&["migrate", "networks", "edge"])
            .get("ipv4_address")
            .is_none()
    );
    assert_eq!(
        env_map("production.env.example")["TRUSTED_PROXIES"],
        nginx_address
    );
    assert_eq!(compose.at(&["networks", "data", "internal"]).str(), "true");
    for service in ["postgres", "redis"] {
        assert_eq!(
            services.at(&[service, "networks"]).keys(),
            ["data"],
            "{service} stays internal"
        );
        assert!(
            services.at(&[service]).get("ports").is_none(),
            "{service} publishes nothing"
        );
    }
}

/// The paths deploy/nginx.conf was rendered with (its header repeats the command).
const CERT: &str = "/etc/nginx/certs/fullchain.pem";
const KEY: &str = "/etc/nginx/certs/privkey.pem";
const PID: &str = "/var/run/nginx.pid";
const ERROR_LOG: &str = "/var/log/nginx/error.log";
const ACCESS_LOG: &str = "/var/log/nginx/access.log";
const TEMP: &str = "/var/cache/nginx";

#[test]
fn the_nginx_config_is_the_shipped_template_rendered_for_the_compose_network() {
    let compose = compose();
    let upstreams: Vec<String> = APPS
        .iter()
        .map(|app| format!("{}:8080", edge_address(&compose, app)))
        .collect();
    let rendered = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/nginx/render"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("JUNGGYE_UPSTREAMS", upstreams.join(" "))
        .env("TLS_CERT", CERT)
        .env("TLS_KEY", KEY)
        .env("NGINX_PID", PID)
        .env("NGINX_ERROR_LOG", ERROR_LOG)
        .env("NGINX_ACCESS_LOG", ACCESS_LOG)
        .env("NGINX_TEMP", TEMP)
        .output()
        .unwrap();
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let rendered = String::from_utf8(rendered.stdout).unwrap();
    let shipped = read("nginx.conf");
    assert!(
        shipped.ends_with(&rendered),
        "deploy/nginx.conf is not nginx/nginx.conf.template rendered for compose.yaml's addresses: \
         render it again with the command in its header"
    );
    for upstream in &upstreams {
        assert!(shipped.contains(&format!("server {upstream} ")), "{upstream}");
    }

    // nginx accepts it, with this test's certificate and files in place of the container's.
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = certificate(dir.path());
    let local = |name: &str| dir.path().join(name).display().to_string();
    let conf = shipped
        .replace(CERT, &cert.display().to_string())
        .replace(KEY, &key.display().to_string())
        .replace(PID, &local("nginx.pid"))
        .replace(ERROR_LOG, &local("error.log"))
        .replace(ACCESS_LOG, &local("access.log"))
        .replace(TEMP, &local("temp"));
    std::fs::create_dir(dir.path().join("temp")).unwrap();
    let path = dir.path().join("nginx.conf");
    std::fs::write(&path, conf).unwrap();
    let check = Command::new(require("nginx"))
        .arg("-t")
        .arg("-e")
        .arg(local("error.log"))
        .arg("-c")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "nginx -t refused deploy/nginx.conf:\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
}
