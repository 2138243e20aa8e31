//! The skill catalogue in `skills/` cannot drift from the code: every example payload is posted and must
//! get a valid answer, and every skill route in the source is catalogued.
//!
//! Also checked: the files have the shape `skills/README.md` documents, block keys and utterances match
//! `src/skill/nav.rs`, parameters point at catalogued validation skills, the blocks-file template parses,
//! and the README's table is the one generated from the JSON files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use axum::http::StatusCode;
use junggye::kakao::validation::FIELDS;
use junggye::kakao::{Block, Nav, replies};
use kakao_skill::check::check_validation_response;
use kakao_skill::{SkillPayload, ValidationPayload};
use serde::Deserialize;
use serde_json::Value;

use crate::helpers::{Backend, TestApp, assert_valid, join};

// ---------------------------------------------------------------------------------------------
// The documented shape of `skills/*.json`.

/// One file: a group of skills.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Group {
    group: String,
    skills: Vec<Skill>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Skill {
    url: String,
    method: Method,
    #[serde(default)]
    kind: Kind,
    /// Required for `skill`, absent for `validation`.
    block: Option<BlockEntry>,
    description: String,
    /// Required for `skill`, absent for `validation`.
    member_only: Option<bool>,
    #[serde(default)]
    params: Vec<Param>,
    #[serde(default)]
    client_extra: Vec<ClientExtra>,
    examples: Vec<Example>,
}

#[derive(Debug, Deserialize)]
enum Method {
    #[serde(rename = "POST")]
    Post,
}

impl Method {
    fn as_str(&self) -> &'static str {
        match self {
            Self::Post => "POST",
        }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    /// Called by a block; answers a SkillResponse.
    #[default]
    Skill,
    /// Called while a parameter is filled; answers a validation response.
    Validation,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockEntry {
    key: String,
    name: String,
    utterances: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Param {
    name: String,
    entity: String,
    required: bool,
    validation: Option<String>,
    prompt: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientExtra {
    key: String,
    values: Vec<String>,
    meaning: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Example {
    title: String,
    /// Validation examples only: the status the answer must have.
    expect: Option<Status>,
    /// Validation examples only, with `SUCCESS`: the value the answer must carry.
    normalised: Option<String>,
    payload: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
enum Status {
    Success,
    Fail,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Self::Success => "SUCCESS",
            Self::Fail => "FAIL",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading the catalogue and the source.

const JOIN_URL: &str = "/skill/members/join";
/// The validation route, one URL per entry of `FIELDS`.
const VALIDATE_ROUTE: &str = "/skill/validate/{field}";
/// Block keys with no skill of ours: Open Builder answers them itself.
const BLOCKS_WITHOUT_SKILL: &[&str] = &["main"];
const TABLE_START: &str = "<!-- catalogue:start -->";
const TABLE_END: &str = "<!-- catalogue:end -->";

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every `skills/*.json`, sorted by file name, as (file name, group).
fn catalogue() -> Vec<(String, Group)> {
    let dir = crate_dir().join("skills");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no skills/*.json");
    files
        .iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let group: Group = serde_json::from_str(&read(path))
                .unwrap_or_else(|e| panic!("skills/{name} does not have the documented shape: {e}"));
            (name, group)
        })
        .collect()
}

fn all_skills(catalogue: &[(String, Group)]) -> impl Iterator<Item = &Skill> {
    catalogue.iter().flat_map(|(_, group)| &group.skills)
}

/// Every `.route("/skill/…"` path in `src/**/*.rs`, as (path, file it is in).
fn source_routes() -> BTreeMap<String, String> {
    let mut files = Vec::new();
    collect_rust_files(&crate_dir().join("src"), &mut files);
    let mut routes = BTreeMap::new();
    for file in files {
        let text = read(&file);
        let shown = file
            .strip_prefix(crate_dir())
            .unwrap_or(&file)
            .display()
            .to_string();
        for (at, _) in text.match_indices(".route(") {
            let rest = text[at + ".route(".len()..].trim_start();
            let Some(literal) = rest.strip_prefix('"') else {
                continue;
            };
            let path = &literal[..literal.find('"').expect("unterminated route string")];
            if path.starts_with("/skill/") {
                routes.insert(path.to_owned(), shown.clone());
            }
        }
    }
    assert!(!routes.is_empty(), "found no skill routes in src/");
    routes
}

fn collect_rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The source routes as URLs: the validation route becomes one URL per field; any other route with a
/// `{parameter}` stays a template that [`route_matches`] compares segment by segment.
fn source_urls() -> BTreeMap<String, String> {
    let mut urls = BTreeMap::new();
    for (route, file) in source_routes() {
        if route == VALIDATE_ROUTE {
            for (field, _) in FIELDS {
                urls.insert(format!("/skill/validate/{field}"), file.clone());
            }
        } else {
            urls.insert(route, file);
        }
    }
    urls
}

fn route_matches(route: &str, url: &str) -> bool {
    let (route, url): (Vec<_>, Vec<_>) = (route.split('/').collect(), url.split('/').collect());
    route.len() == url.len()
        && route.iter().zip(&url).all(|(r, u)| {
            r == u || (r.starts_with('{') && r.ends_with('}') && !u.is_empty() && !u.contains('{'))
        })
}

fn block_by_key(key: &str) -> Option<Block> {
    Block::from_key(key)
}

// ---------------------------------------------------------------------------------------------
// The tests.

#[test]
fn every_catalogue_file_has_the_documented_shape() {
    let catalogue = catalogue();
    let mut urls = BTreeSet::new();
    for (file, group) in &catalogue {
        assert_eq!(
            Some(group.group.as_str()),
            file.strip_suffix(".json"),
            "skills/{file}: `group` must be the file's name"
        );
        assert!(!group.skills.is_empty(), "skills/{file} lists no skill");
        for skill in &group.skills {
            let at = format!("skills/{file} {}", skill.url);
            assert!(skill.url.starts_with("/skill/"), "{at}: URLs start with /skill/");
            assert!(urls.insert(skill.url.clone()), "{at}: catalogued twice");
            assert!(!skill.description.trim().is_empty(), "{at}: no description");
            assert!(!skill.examples.is_empty(), "{at}: no example");
            for example in &skill.examples {
                assert!(!example.title.trim().is_empty(), "{at}: an example has no title");
            }
            match skill.kind {
                Kind::Skill => check_skill_shape(skill, &at),
                Kind::Validation => check_validation_shape(skill, &at),
            }
        }
    }
}

fn check_skill_shape(skill: &Skill, at: &str) {
    let block = skill
        .block
        .as_ref()
        .unwrap_or_else(|| panic!("{at}: a skill needs its `block`"));
    assert!(skill.member_only.is_some(), "{at}: a skill needs `memberOnly`");
    assert!(
        !block.key.is_empty() && block.key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
        "{at}: block key `{}` must be snake_case",
        block.key
    );
    assert!(!block.name.trim().is_empty(), "{at}: the block needs a name");
    assert!(!block.utterances.is_empty(), "{at}: the block needs utterances");
    for param in &skill.params {
        assert!(
            !param.name.is_empty() && !param.entity.is_empty(),
            "{at}: {param:?}"
        );
        assert!(
            !param.prompt.trim().is_empty(),
            "{at}: param `{}` needs a prompt",
            param.name
        );
    }
    for extra in &skill.client_extra {
        assert!(
            !extra.values.is_empty(),
            "{at}: clientExtra `{}` lists no value",
            extra.key
        );
        assert!(
            !extra.meaning.trim().is_empty(),
            "{at}: clientExtra `{}` needs a meaning",
            extra.key
        );
    }
    for example in &skill.examples {
        let at = format!("{at} «{}»", example.title);
        assert!(
            example.expect.is_none() && example.normalised.is_none(),
            "{at}: `expect`/`normalised` are for validation examples"
        );
        check_skill_payload(skill, block, &example.payload, &at);
    }
}

/// A skill example looks like what Kakao sends, and only uses the parameters and clientExtra keys
/// the skill declares.
fn check_skill_payload(skill: &Skill, block: &BlockEntry, p: &Value, at: &str) {
    SkillPayload::from_slice(p.to_string().as_bytes()).unwrap_or_else(|e| panic!("{at}: {e}"));
    for pointer in [
        "/intent/id",
        "/intent/name",
        "/userRequest/timezone",
        "/userRequest/params",
        "/userRequest/block/id",
        "/userRequest/utterance",
        "/userRequest/lang",
        "/userRequest/user/id",
        "/userRequest/user/type",
        "/userRequest/user/properties",
        "/bot/id",
        "/bot/name",
        "/action/id",
        "/action/name",
        "/action/params",
        "/action/detailParams",
    ] {
        assert!(p.pointer(pointer).is_some(), "{at}: the payload has no {pointer}");
    }
    assert_eq!(p["userRequest"]["user"]["type"], "botUserKey", "{at}");
    for pointer in ["/intent/name", "/userRequest/block/name"] {
        assert_eq!(
            p.pointer(pointer),
            Some(&Value::from(block.name.as_str())),
            "{at}: {pointer}"
        );
    }
    let declared: BTreeSet<&str> = skill.params.iter().map(|param| param.name.as_str()).collect();
    for section in ["params", "detailParams"] {
        for name in p["action"][section]
            .as_object()
            .into_iter()
            .flat_map(|m| m.keys())
        {
            assert!(
                declared.contains(name.as_str()),
                "{at}: action.{section}.{name} is not a declared param"
            );
        }
    }
    let keys: BTreeSet<&str> = skill.client_extra.iter().map(|e| e.key.as_str()).collect();
    for key in p["action"]["clientExtra"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.keys())
    {
        assert!(
            keys.contains(key.as_str()),
            "{at}: clientExtra.{key} is not declared"
        );
    }
}

fn check_validation_shape(skill: &Skill, at: &str) {
    assert!(
        skill.block.is_none() && skill.member_only.is_none(),
        "{at}: a validation skill has no `block` or `memberOnly`"
    );
    assert!(
        skill.params.is_empty() && skill.client_extra.is_empty(),
        "{at}: a validation skill has no `params` or `clientExtra`"
    );
    let field = skill.url.strip_prefix("/skill/validate/");
    assert!(
        field.is_some_and(|f| FIELDS.iter().any(|(name, _)| *name == f)),
        "{at}: a validation URL is /skill/validate/<one of validation::FIELDS>"
    );
    let mut seen = BTreeSet::new();
    for example in &skill.examples {
        let at = format!("{at} «{}»", example.title);
        let expect = example.expect.unwrap_or_else(|| panic!("{at}: needs `expect`"));
        seen.insert(expect.as_str());
        assert!(
            example.normalised.is_none() || expect == Status::Success,
            "{at}: `normalised` only goes with SUCCESS"
        );
        let p = &example.payload;
        ValidationPayload::from_slice(p.to_string().as_bytes()).unwrap_or_else(|e| panic!("{at}: {e}"));
        assert_eq!(p["isInSlotFilling"], true, "{at}");
        for pointer in ["/utterance", "/value/origin", "/value/resolved", "/user/id"] {
            assert!(p.pointer(pointer).is_some(), "{at}: the payload has no {pointer}");
        }
    }
    assert!(
        seen.contains("SUCCESS") && seen.contains("FAIL"),
        "{at}: needs an accepted and a refused example"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_payload_in_the_catalogue_gets_a_valid_answer() {
    let catalogue = catalogue();
    let validation_app = TestApp::new(Backend::Sqlite).await;
    let mut count = 0;
    for (file, group) in &catalogue {
        for skill in &group.skills {
            for example in &skill.examples {
                let at = format!("skills/{file} {} «{}»", skill.url, example.title);
                match skill.kind {
                    Kind::Skill => run_skill_example(skill, example, &at).await,
                    Kind::Validation => run_validation_example(&validation_app, skill, example, &at).await,
                }
                count += 1;
            }
        }
    }
    assert!(count > 0);
}

/// Posts the example on a fresh app as a non-member, then again once its user is a member.
async fn run_skill_example(skill: &Skill, example: &Example, at: &str) {
    let nav = Nav::default();
    let join_first = serde_json::to_value(replies::join_first(&nav)).unwrap();
    let failures = [
        serde_json::to_value(replies::trouble(&nav)).unwrap(),
        serde_json::to_value(replies::slow(&nav)).unwrap(),
    ];
    let app = TestApp::new(Backend::Sqlite).await;
    let user = example.payload["userRequest"]["user"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{at}: no user id"));

    let as_guest = post_skill(&app, skill, example, &format!("{at}, as a non-member")).await;
    assert!(
        !failures.contains(&as_guest),
        "{at}: failed as a non-member: {as_guest:#}"
    );
    let member_only = skill.member_only == Some(true);
    assert_eq!(
        as_guest == join_first,
        member_only,
        "{at}: memberOnly is {member_only}, but a non-member got {as_guest:#}"
    );

    // The join example itself makes its user a member (when its input is valid).
    if skill.url != JOIN_URL {
        join(&app, user, "카탈로그회원").await;
    }
    let as_member = post_skill(&app, skill, example, &format!("{at}, as a member")).await;
    assert!(
        !failures.contains(&as_member),
        "{at}: failed as a member: {as_member:#}"
    );
    assert_ne!(as_member, join_first, "{at}: a member was asked to join");
}

async fn post_skill(app: &TestApp, skill: &Skill, example: &Example, at: &str) -> Value {
    let body = serde_json::to_vec(&example.payload).unwrap();
    let (status, answer) = app.post_raw(&skill.url, body, &[]).await;
    assert_eq!(status, StatusCode::OK, "{at}: {answer}");
    eprintln!("checking the answer to {at}");
    assert_valid(&answer);
    answer
}

async fn run_validation_example(app: &TestApp, skill: &Skill, example: &Example, at: &str) {
    let body = serde_json::to_vec(&example.payload).unwrap();
    let (status, answer) = app.post_raw(&skill.url, body, &[]).await;
    assert_eq!(status, StatusCode::OK, "{at}: {answer}");
    check_validation_response(&answer).unwrap_or_else(|v| panic!("{at}: {v:?}\n{answer:#}"));
    let expect = example.expect.unwrap_or_else(|| panic!("{at}: needs `expect`"));
    assert_eq!(answer["status"], expect.as_str(), "{at}: {answer}");
    if let Some(normalised) = &example.normalised {
        assert_eq!(answer["value"], normalised.as_str(), "{at}: {answer}");
    }
}

#[test]
fn every_skill_route_in_the_source_is_catalogued() {
    let catalogue = catalogue();
    let catalogued: Vec<&str> = all_skills(&catalogue).map(|s| s.url.as_str()).collect();
    for (route, file) in source_urls() {
        assert!(
            catalogued.iter().any(|url| route_matches(&route, url)),
            "{route} ({file}) is not in skills/*.json"
        );
    }
}

#[test]
fn every_catalogued_url_exists() {
    let catalogue = catalogue();
    let routes = source_urls();
    for skill in all_skills(&catalogue) {
        assert!(
            routes.keys().any(|route| route_matches(route, &skill.url)),
            "{} is catalogued but no `.route(` in src/ serves it",
            skill.url
        );
    }
}

#[test]
fn every_catalogued_block_key_and_param_is_consistent() {
    let catalogue = catalogue();
    let validation_urls: BTreeSet<&str> = all_skills(&catalogue)
        .filter(|s| s.kind == Kind::Validation)
        .map(|s| s.url.as_str())
        .collect();
    let mut blocks = BTreeMap::new();
    for skill in all_skills(&catalogue) {
        for param in &skill.params {
            if let Some(url) = &param.validation {
                assert!(
                    validation_urls.contains(url.as_str()),
                    "{}: param `{}` is validated by {url}, which is not a catalogued validation skill",
                    skill.url,
                    param.name
                );
            }
        }
        let names: BTreeSet<&str> = skill.params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names.len(),
            skill.params.len(),
            "{}: a param is listed twice",
            skill.url
        );
        let Some(block) = &skill.block else { continue };
        if let Some(previous) = blocks.insert(block.key.as_str(), skill.url.as_str()) {
            panic!("block `{}` calls both {previous} and {}", block.key, skill.url);
        }
        if let Some(known) = block_by_key(&block.key) {
            assert!(
                !BLOCKS_WITHOUT_SKILL.contains(&block.key.as_str()),
                "block `{}` has no skill",
                block.key
            );
            assert!(
                block.utterances.first().map(String::as_str) == Some(known.utterance()),
                "{}: block `{}` must have `{}` as its first utterance (quick replies send it when the block id is unknown)",
                skill.url,
                block.key,
                known.utterance()
            );
        }
    }
    for block in Block::ALL {
        assert!(
            blocks.contains_key(block.key()) || BLOCKS_WITHOUT_SKILL.contains(&block.key()),
            "Block `{}` in src/skill/nav.rs has no catalogued skill",
            block.key()
        );
    }
}

#[test]
fn the_blocks_file_template_parses_and_names_every_block() {
    let path = crate_dir().join("skills/blocks.example.toml");
    let text = read(&path);
    let nav = Nav::parse(&text).unwrap_or_else(|e| panic!("skills/blocks.example.toml: {e}"));
    let mut ids = BTreeSet::new();
    for block in Block::ALL {
        let id = nav
            .id(block)
            .unwrap_or_else(|| panic!("skills/blocks.example.toml has no `{}`", block.key()));
        assert!(ids.insert(id.as_str().to_owned()), "placeholder ids must differ");
    }
    // The comment above each key names the block's utterance and, when it has one, its skill.
    let catalogue = catalogue();
    let lines: Vec<&str> = text.lines().collect();
    for block in Block::ALL {
        let at = lines
            .iter()
            .position(|l| l.starts_with(&format!("{} =", block.key())))
            .unwrap();
        let comment = at.checked_sub(1).map_or("", |i| lines[i]);
        assert!(
            comment.starts_with('#') && comment.contains(block.utterance()),
            "skills/blocks.example.toml: the comment above `{}` must name its utterance `{}`",
            block.key(),
            block.utterance()
        );
        let skill = all_skills(&catalogue).find(|s| s.block.as_ref().is_some_and(|b| b.key == block.key()));
        if let Some(skill) = skill {
            assert!(
                comment.contains(&skill.url),
                "skills/blocks.example.toml: the comment above `{}` must name {}",
                block.key(),
                skill.url
            );
        }
    }
}

#[test]
fn the_readme_table_matches_the_catalogue() {
    let readme = read(&crate_dir().join("skills/README.md"));
    let expected = render_table(&catalogue());
    let found = readme
        .split_once(TABLE_START)
        .and_then(|(_, rest)| rest.split_once(TABLE_END))
        .map(|(table, _)| table.trim());
    assert!(
        found == Some(expected.trim()),
        "skills/README.md is out of date: put this between {TABLE_START} and {TABLE_END}:\n\n{expected}"
    );
}

/// The README's tables, generated from the catalogue.
fn render_table(catalogue: &[(String, Group)]) -> String {
    let mut skills = String::from(
        "| skill | block (key: name) | utterances | params (* required → validation) | clientExtra | members only |\n\
         |---|---|---|---|---|---|\n",
    );
    let mut validations = String::from(
        "| skill | accepts (→ stored value) | refuses |\n\
         |---|---|---|\n",
    );
    for skill in all_skills(catalogue) {
        match (skill.kind, &skill.block) {
            (Kind::Skill, Some(block)) => {
                let params: Vec<String> = skill
                    .params
                    .iter()
                    .map(|p| {
                        let required = if p.required { "*" } else { "" };
                        match &p.validation {
                            Some(url) => format!("`{}`{required} → `{url}`", p.name),
                            None => format!("`{}`{required}", p.name),
                        }
                    })
                    .collect();
                let extras: Vec<String> = skill
                    .client_extra
                    .iter()
                    .map(|e| format!("`{}` = {}", e.key, quoted(&e.values)))
                    .collect();
                skills.push_str(&format!(
                    "| `{} {}` | `{}`: {} | {} | {} | {} | {} |\n",
                    skill.method.as_str(),
                    skill.url,
                    block.key,
                    cell(&block.name),
                    cell(&block.utterances.join(", ")),
                    or_dash(params.join(", ")),
                    or_dash(extras.join(", ")),
                    if skill.member_only == Some(true) {
                        "yes"
                    } else {
                        "no"
                    },
                ));
            }
            _ => {
                let inputs = |status: Status, with_value: bool| -> String {
                    let shown: Vec<String> = skill
                        .examples
                        .iter()
                        .filter(|e| e.expect == Some(status))
                        .map(|e| {
                            let origin = e.payload["value"]["origin"].as_str().unwrap_or("");
                            let input = if origin.trim().is_empty() {
                                "(blank)".to_owned()
                            } else {
                                format!("`{}`", cell(origin))
                            };
                            match (&e.normalised, with_value) {
                                (Some(value), true) => format!("{input} → `{}`", cell(value)),
                                _ => input,
                            }
                        })
                        .collect();
                    or_dash(shown.join(", "))
                };
                validations.push_str(&format!(
                    "| `{} {}` | {} | {} |\n",
                    skill.method.as_str(),
                    skill.url,
                    inputs(Status::Success, true),
                    inputs(Status::Fail, false),
                ));
            }
        }
    }
    format!("### Skills\n\n{skills}\n### Validation skills\n\n{validations}")
}

fn quoted(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("`{}`", cell(v)))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Text made safe for one table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', "\\n")
}

fn or_dash(text: String) -> String {
    if text.is_empty() { "—".to_owned() } else { text }
}
