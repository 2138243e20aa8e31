//! The shape of the code, checked: dependencies point one way, from the faces down to the
//! infrastructure, and no two top-level modules depend on each other in a circle.
//!
//! | layer | modules | may import |
//! |---|---|---|
//! | 4 router | `router` | everything |
//! | 3 faces | `kakao`, `pages`, `admin`, `ops`, `dev` | state, core, infrastructure |
//! | 2 state | `state` | core, infrastructure |
//! | 1 core (the market) | `domain`, `members`, `products`, `orders`, `notices`, `notifications`, `watch`, `deals`, `images` | core, infrastructure |
//! | 0 infrastructure | `clock`, `config`, `blocks`, `deal_sources`, `db`, `cache`, `telemetry`, `metrics`, `http_server`, `jwt`, `kakaopay`, `client_addr`, `skill_log`, `present` | infrastructure |
//!
//! A module is read from its source text: every `crate::name` (or `$crate::name`, `super::` at the top of
//! a module's root excluded) outside comments and `#[cfg(test)]` modules is an import of `name`. A new
//! top-level module must be given a layer here, so nobody adds one without deciding where it belongs.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const LAYERS: &[(&str, &[&str])] = &[
    (
        "infrastructure",
        &[
            "clock",
            "config",
            "blocks",
            "deal_sources",
            "db",
            "cache",
            "telemetry",
            "metrics",
            "http_server",
            "jwt",
            "kakao_event",
            "kakaopay",
            "client_addr",
            "skill_log",
            "present",
        ],
    ),
    (
        "core",
        &[
            "domain",
            "blocking",
            "conversations",
            "members",
            "products",
            "orders",
            "notices",
            "notifications",
            "offers",
            "reports",
            "reviews",
            "viewing",
            "watch",
            "deals",
            "images",
        ],
    ),
    ("state", &["state"]),
    ("faces", &["kakao", "pages", "admin", "ops", "dev"]),
    ("router", &["router"]),
];

/// Imports that break the rule today, each with its reason. The list may only shrink.
const KNOWN_EXCEPTIONS: &[(&str, &str, &str)] = &[];

fn is_known_exception(module: &str, imported: &str) -> bool {
    KNOWN_EXCEPTIONS
        .iter()
        .any(|(from, to, _)| *from == module && *to == imported)
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, modules)| modules.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without comments and without `#[cfg(test)]` items (tests may reach anywhere).
fn product_code(source: &str) -> String {
    let mut code = String::new();
    let mut skipping_tests = false;
    let mut depth: i64 = 0;
    for line in source.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            // Skip the next item: up to its matching closing brace (or its `;`).
            skipping_tests = true;
            depth = 0;
            continue;
        }
        if skipping_tests {
            depth += line.matches('{').count() as i64 - line.matches('}').count() as i64;
            if depth <= 0 && (line.contains('}') || line.trim_end().ends_with(';')) {
                skipping_tests = false;
            }
            continue;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        let without_comment = line.split(" // ").next().unwrap_or(line);
        code.push_str(without_comment);
        code.push('\n');
    }
    code
}

/// The top-level modules `code` names as `crate::name`.
fn imports(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or("");
            for item in inner.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

/// Every top-level module of `src/` and the top-level modules it imports (known exceptions left out).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let top = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let top = top.trim_end_matches(".rs").to_owned();
        if top == "lib" || top == "main" {
            continue;
        }
        let code = product_code(&fs::read_to_string(&file).unwrap());
        let entry = graph.entry(top.clone()).or_default();
        for name in imports(&code) {
            if name != top && !is_known_exception(&top, &name) {
                entry.insert(name);
            }
        }
    }
    graph
}

#[test]
fn every_module_has_a_layer() {
    let unplaced: Vec<String> = graph().into_keys().filter(|m| layer_of(m).is_none()).collect();
    assert!(
        unplaced.is_empty(),
        "give these modules a layer in tests/architecture.rs: {unplaced:?}"
    );
}

#[test]
fn dependencies_point_down_the_layers() {
    let mut upward = Vec::new();
    for (module, imported) in graph() {
        let Some(own) = layer_of(&module) else { continue };
        for name in imported {
            if let Some(theirs) = layer_of(&name)
                && theirs > own
            {
                upward.push(format!(
                    "{module} ({}) imports {name} ({})",
                    LAYERS[own].0, LAYERS[theirs].0
                ));
            }
        }
    }
    assert!(upward.is_empty(), "imports that point up:\n{}", upward.join("\n"));
}

#[test]
fn no_two_modules_depend_on_each_other_in_a_circle() {
    let graph = graph();
    let mut circles = BTreeSet::new();
    for start in graph.keys() {
        // Depth-first search for a path from `start` back to itself.
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((node, path)) = stack.pop() {
            for next in graph.get(&node).into_iter().flatten() {
                if next == start {
                    let mut circle = path.clone();
                    let smallest = (0..circle.len()).min_by_key(|&i| &circle[i]).unwrap();
                    circle.rotate_left(smallest);
                    circles.insert(circle.join(" → "));
                } else if graph.contains_key(next) && seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    assert!(
        circles.is_empty(),
        "circles between modules:\n{}",
        circles.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_market_core_does_not_know_http() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenders = Vec::new();
    for module in LAYERS[1].1 {
        let mut files = Vec::new();
        let dir = src.join(module);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        } else {
            files.push(src.join(format!("{module}.rs")));
        }
        for file in files {
            let code = product_code(&fs::read_to_string(&file).unwrap());
            if code.contains("axum::") || code.contains("use axum") {
                offenders.push(file.strip_prefix(&src).unwrap().display().to_string());
            }
        }
    }
    assert!(offenders.is_empty(), "core files that use axum: {offenders:?}");
}

/// Statuses written out in SQL that may stay, each with its reason. The list may only shrink.
const STATUS_LITERALS_ALLOWED: &[(&str, &str, &str)] = &[
    (
        "notices/store.rs",
        "main",
        "the listing repeats the expression of the notices_listing index (CASE status WHEN 'main' …), \
         which the planner matches only as written",
    ),
    (
        "notices/store.rs",
        "published",
        "the listing repeats the predicate of the notices_listing partial index",
    ),
];

/// Every stored status spelled out in SQL (`'paid'`) is a second spelling of its enum's key, free to drift
/// from it unnoticed; statuses are bound (`.bind(OrderStatus::Paid)`) or written into the text from the
/// enum instead.
#[test]
fn statuses_are_spelled_only_in_their_enums() {
    use junggye::members::Grade;
    use junggye::notices::NoticeStatus;
    use junggye::orders::{ApprovalWatch, CloseReason, OrderStatus};
    use junggye::products::ProductStatus;
    use junggye::products::model::PhotosState;

    let keys: BTreeSet<&str> = ProductStatus::ALL
        .map(ProductStatus::key)
        .into_iter()
        .chain(OrderStatus::ALL.map(OrderStatus::key))
        .chain(CloseReason::ALL.map(CloseReason::key))
        .chain(ApprovalWatch::ALL.map(ApprovalWatch::key))
        .chain([PhotosState::Pending, PhotosState::Ready, PhotosState::Failed].map(PhotosState::key))
        .chain([Grade::Bronze, Grade::Silver, Grade::Platinum, Grade::Diamond].map(Grade::as_str))
        .chain(NoticeStatus::ALL.map(NoticeStatus::as_str))
        .chain(junggye::notifications::State::ALL.map(junggye::notifications::State::key))
        .chain(junggye::notifications::Kind::ALL.map(junggye::notifications::Kind::key))
        .collect();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut found = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap().display().to_string();
        let code = product_code(&fs::read_to_string(&file).unwrap());
        for key in &keys {
            let allowed = STATUS_LITERALS_ALLOWED
                .iter()
                .any(|(f, k, _)| *f == relative && k == key);
            if !allowed && code.contains(&format!("'{key}'")) {
                found.push(format!("{relative}: '{key}'"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "statuses written out in SQL:\n{}",
        found.join("\n")
    );
}

/// The browse cache is retired by the store functions that change products (their photos, their
/// sellers' membership), after their write committed, never by hand at a call site: a caller that
/// forgot would leave lists stale for a whole time-to-live, and nothing would notice.
#[test]
fn only_the_catalog_retires_itself() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let by_hand: Vec<String> = files
        .iter()
        .filter(|file| !file.ends_with("products/catalog.rs"))
        .filter(|file| product_code(&fs::read_to_string(file).unwrap()).contains("catalog.changed()"))
        .map(|file| file.strip_prefix(&src).unwrap().display().to_string())
        .collect();
    assert!(
        by_hand.is_empty(),
        "catalog.changed() called by hand in {by_hand:?}"
    );
}

/// A `dispatch_write!` body records how its write ended in the SQLite write gate, whose health decides
/// whether the server reports the database as taking writes. A `return` inside the body would leave the
/// function before that record and count a normal "nothing to change" as a storage failure; bodies leave
/// early with `break 'label value` instead.
#[test]
fn gated_writes_never_return_from_inside_the_gate() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut found = Vec::new();
    for file in &files {
        let code = product_code(&fs::read_to_string(file).unwrap());
        for (start, _) in code.match_indices("dispatch_write!(") {
            let body = balanced(&code[start + "dispatch_write!(".len()..]);
            let words = body.split(|c: char| !(c.is_alphanumeric() || c == '_'));
            if words.into_iter().any(|word| word == "return") {
                let line = code[..start].lines().count() + 1;
                found.push(format!("{}:{line}", file.strip_prefix(&src).unwrap().display()));
            }
        }
    }
    assert!(found.is_empty(), "`return` inside dispatch_write! at {found:?}");
}

/// The text up to the parenthesis that closes the one just opened.
fn balanced(text: &str) -> &str {
    let mut depth = 1;
    for (at, c) in text.char_indices() {
        depth += match c {
            '(' => 1,
            ')' => -1,
            _ => 0,
        };
        if depth == 0 {
            return &text[..at];
        }
    }
    text
}
