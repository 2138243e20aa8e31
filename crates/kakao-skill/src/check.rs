//! Independent checker for Kakao Open Builder skill responses.
//!
//! Kakao silently drops a skill response that breaks one of its limits: the user
//! only sees a generic error and the failure shows up nowhere but the admin
//! centre's skill error log. The typed builders elsewhere in the crate are meant
//! to make such responses impossible to build; this module is the second,
//! independent opinion used to test that claim.
//!
//! It deliberately works on [`serde_json::Value`] only and shares no type,
//! constant or helper with the builders, so that a mistake in the builders
//! cannot be mirrored by the same mistake here. Property tests serialise
//! arbitrary builder output and feed the JSON to [`check_skill_response`];
//! integration tests run it on every HTTP answer of the server.
//!
//! What is checked (Kakao i Open Builder's skill response reference, sections
//! "SkillResponse" and "Parameter validation skill"; where the documentation
//! gives a range the stricter value is used):
//!
//! * the envelope: `version` is `"2.0"`, `template` (unless `useCallback` is
//!   `true`), optional `context` and `data`, and a serialised size of at most
//!   30 000 bytes;
//! * every output component (`simpleText`, `simpleImage`, `textCard`,
//!   `basicCard`, `commerceCard`, `listCard`, `itemCard`, `carousel`), with the
//!   tighter limits that apply to cards inside a carousel;
//! * buttons, thumbnails, list items, quick replies and context values;
//! * the parameter-validation-skill answer ([`check_validation_response`]).
//!
//! Conventions:
//!
//! * Lengths are counted in Unicode scalar values (`chars()`), never bytes;
//!   only the total response size is counted in bytes.
//! * "Non-empty" text must contain at least one non-whitespace character.
//! * Unknown keys are ignored, as Kakao ignores them. A known key that is
//!   present with the wrong type, including `null`, is a violation: builders
//!   are expected to omit absent optional fields rather than send `null`.
//! * All violations are collected; the checker never stops at the first one.
//! * The checker never panics and never recurses on the input's own nesting
//!   depth (the size count is iterative), so arbitrarily deep garbage is safe.

use serde_json::{Map, Value};
use std::fmt;

/// Largest accepted serialised response, in bytes (the reference warns that a
/// response over ~30 KB may not be delivered).
const MAX_RESPONSE_BYTES: usize = 30_000;
/// Longest accepted URL, in chars.
const MAX_URL_CHARS: usize = 1_000;
/// Longest accepted `messageText` (what the user appears to say), in chars.
const MAX_MESSAGE_TEXT_CHARS: usize = 1_000;
/// Button label limit when the button has a row to itself.
const MAX_LABEL_CHARS: usize = 14;
/// Button label limit when two buttons sit side by side.
const MAX_SIDE_BY_SIDE_LABEL_CHARS: usize = 8;
/// Component keys an entry of `template.outputs` may hold.
const COMPONENT_KEYS: [&str; 8] = [
    "simpleText",
    "simpleImage",
    "textCard",
    "basicCard",
    "commerceCard",
    "listCard",
    "itemCard",
    "carousel",
];
/// Values accepted for a carousel's `type`.
const CAROUSEL_TYPES: [&str; 5] = ["basicCard", "commerceCard", "listCard", "itemCard", "textCard"];
/// Values accepted for a button's `action`.
const BUTTON_ACTIONS: [&str; 7] = [
    "webLink", "message", "phone", "block", "share", "operator", "osLink",
];
/// Keys of a button's `osLink` object.
const OS_LINK_KEYS: [&str; 4] = ["android", "ios", "pc", "mobile"];

/// One broken rule in a checked response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where the problem is, JSON-pointer-like: object keys joined by `.`,
    /// array indices in brackets, e.g.
    /// `template.outputs[0].carousel.items[3].buttons[1].label`. Keys that
    /// are not plain identifiers are quoted: `context.values[0].params["a b"]`.
    /// The empty string denotes the root value.
    pub path: String,
    /// What is wrong, in plain English.
    pub problem: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "(root): {}", self.problem)
        } else {
            write!(f, "{}: {}", self.path, self.problem)
        }
    }
}

/// Checks a SkillResponse.
///
/// Returns `Ok(())` when Kakao would accept `v`, otherwise every violation
/// found, in document order as far as practical.
pub fn check_skill_response(v: &Value) -> Result<(), Vec<Violation>> {
    let mut c = Checker::default();
    c.skill_response(v);
    c.finish()
}

/// Checks a parameter-validation-skill response:
/// `{"status": "SUCCESS"|"FAIL"|"ERROR", "value": string, "data": object,
/// "message": string}` where only `status` is required.
pub fn check_validation_response(v: &Value) -> Result<(), Vec<Violation>> {
    let mut c = Checker::default();
    c.validation_response(v);
    c.finish()
}

/// Whether a field must be present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    Required,
    Optional,
}

use Need::{Optional, Required};

/// Rule for a text field: whether blank text is allowed and the char limit.
#[derive(Debug, Clone, Copy)]
struct Text {
    non_empty: bool,
    max: Option<usize>,
}

impl Text {
    /// Non-blank text of at most `max` chars.
    const fn non_empty(max: usize) -> Self {
        Self {
            non_empty: true,
            max: Some(max),
        }
    }

    /// Any text (blank allowed) of at most `max` chars.
    const fn up_to(max: usize) -> Self {
        Self {
            non_empty: false,
            max: Some(max),
        }
    }

    /// Non-blank text of any length.
    const fn non_empty_unbounded() -> Self {
        Self {
            non_empty: true,
            max: None,
        }
    }

    /// Any string at all.
    const fn any() -> Self {
        Self {
            non_empty: false,
            max: None,
        }
    }
}

/// Which card a value is checked as (carousels hold bare cards of one type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Card {
    Text,
    Basic,
    Commerce,
    List,
    Item,
}

impl Card {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "textCard" => Some(Self::Text),
            "basicCard" => Some(Self::Basic),
            "commerceCard" => Some(Self::Commerce),
            "listCard" => Some(Self::List),
            "itemCard" => Some(Self::Item),
            _ => None,
        }
    }
}

/// Path of `key` inside the object at `base`.
fn key_path(base: &str, key: &str) -> String {
    let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match (base.is_empty(), plain) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{base}.{key}"),
        (_, false) => format!("{base}[{key:?}]"),
    }
}

/// Path of element `i` of the array at `base`.
fn index_path(base: &str, i: usize) -> String {
    format!("{base}[{i}]")
}

/// Whether `s` has at least one non-whitespace char.
fn is_non_blank(s: &str) -> bool {
    s.chars().any(|c| !c.is_whitespace())
}

/// Human description of a JSON value's type, for messages.
fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a floating-point number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Why `s` is not an acceptable URL, if it is not.
///
/// Accepted: `http://` or `https://`, then a non-empty host (optionally with
/// user info and a numeric port), no whitespace or control chars anywhere,
/// at most [`MAX_URL_CHARS`] chars.
fn url_problem(s: &str) -> Option<String> {
    let chars = s.chars().count();
    if chars > MAX_URL_CHARS {
        return Some(format!("URL is {chars} chars, limit is {MAX_URL_CHARS}"));
    }
    if let Some(c) = s.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Some(format!("URL contains whitespace or control char {c:?}"));
    }
    let Some(rest) = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://")) else {
        return Some(format!("URL {s:?} must start with http:// or https://"));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = if host_port.starts_with('[') {
        match host_port.find(']') {
            Some(end) => {
                let (host, after) = host_port.split_at(end + 1);
                match after.strip_prefix(':') {
                    Some(port) => (&host[1..end], Some(port)),
                    None if after.is_empty() => (&host[1..end], None),
                    None => return Some(format!("URL {s:?} has junk after the IPv6 host")),
                }
            }
            None => return Some(format!("URL {s:?} has an unterminated IPv6 host")),
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    if host.is_empty() {
        return Some(format!("URL {s:?} has an empty host"));
    }
    if let Some(c) = host.chars().find(|c| {
        matches!(
            c,
            '<' | '>' | '[' | ']' | '\\' | '^' | '|' | '"' | '{' | '}' | '`'
        )
    }) {
        return Some(format!("URL {s:?} has forbidden char {c:?} in its host"));
    }
    if port.is_some_and(|p| !p.chars().all(|c| c.is_ascii_digit())) {
        return Some(format!("URL {s:?} has a non-numeric port"));
    }
    None
}

/// Length in bytes of `serde_json::to_string(v)`, computed without recursion
/// so that deeply nested input cannot overflow the stack.
fn serialized_len(root: &Value) -> usize {
    let mut total = 0usize;
    let mut stack = vec![root];
    while let Some(v) = stack.pop() {
        let own = match v {
            Value::Null => 4,
            Value::Bool(true) => 4,
            Value::Bool(false) => 5,
            Value::Number(n) => serde_json::to_string(n).map_or(0, |s| s.len()),
            Value::String(s) => escaped_len(s),
            Value::Array(items) => {
                stack.extend(items.iter());
                2 + items.len().saturating_sub(1)
            }
            Value::Object(map) => {
                let mut own = 2 + map.len().saturating_sub(1);
                for (key, value) in map {
                    own = own.saturating_add(escaped_len(key) + 1);
                    stack.push(value);
                }
                own
            }
        };
        total = total.saturating_add(own);
    }
    total
}

/// Length in bytes of `s` as a JSON string literal, escaped like `serde_json`.
fn escaped_len(s: &str) -> usize {
    let body: usize = s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | 0x08 | 0x09 | 0x0A | 0x0C | 0x0D => 2,
            0x00..=0x1F => 6,
            _ => 1,
        })
        .sum();
    body.saturating_add(2)
}

/// Accumulates violations while walking a response.
#[derive(Debug, Default)]
struct Checker {
    found: Vec<Violation>,
}

impl Checker {
    fn finish(self) -> Result<(), Vec<Violation>> {
        if self.found.is_empty() {
            Ok(())
        } else {
            Err(self.found)
        }
    }

    fn report(&mut self, path: &str, problem: impl Into<String>) {
        self.found.push(Violation {
            path: path.to_owned(),
            problem: problem.into(),
        });
    }

    // ----- generic field helpers -------------------------------------------

    /// `v` as an object, reporting otherwise.
    fn object<'a>(&mut self, v: &'a Value, path: &str) -> Option<&'a Map<String, Value>> {
        match v {
            Value::Object(map) => Some(map),
            other => {
                self.report(path, format!("expected an object, found {}", describe(other)));
                None
            }
        }
    }

    /// The value of `key`, reporting if it is required and missing.
    fn field<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        path: &str,
        key: &str,
        need: Need,
    ) -> Option<&'a Value> {
        let found = obj.get(key);
        if found.is_none() && need == Required {
            self.report(&key_path(path, key), "required field is missing");
        }
        found
    }

    /// A text field; returns the string when it is one, even if it breaks
    /// `rule` (the violation is reported).
    fn text<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        path: &str,
        key: &str,
        need: Need,
        rule: Text,
    ) -> Option<&'a str> {
        let value = self.field(obj, path, key, need)?;
        let here = key_path(path, key);
        let Value::String(s) = value else {
            self.report(&here, format!("expected a string, found {}", describe(value)));
            return None;
        };
        if rule.non_empty && !is_non_blank(s) {
            self.report(&here, "must not be empty or whitespace-only");
        }
        if let Some(max) = rule.max {
            let chars = s.chars().count();
            if chars > max {
                self.report(&here, format!("is {chars} chars, limit is {max}"));
            }
        }
        Some(s)
    }

    /// A string field that must be one of `allowed`; returns it when valid.
    fn one_of<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        path: &str,
        key: &str,
        need: Need,
        allowed: &[&str],
    ) -> Option<&'a str> {
        let s = self.text(obj, path, key, need, Text::any())?;
        if allowed.contains(&s) {
            Some(s)
        } else {
            self.report(
                &key_path(path, key),
                format!("{s:?} is not one of {}", allowed.join(", ")),
            );
            None
        }
    }

    /// A URL field (see [`url_problem`]).
    fn url(&mut self, obj: &Map<String, Value>, path: &str, key: &str, need: Need) {
        if let Some(s) = self.text(obj, path, key, need, Text::any())
            && let Some(problem) = url_problem(s)
        {
            self.report(&key_path(path, key), problem);
        }
    }

    /// A JSON integer (not a float, not a string) in `min..=max`.
    fn integer(
        &mut self,
        obj: &Map<String, Value>,
        path: &str,
        key: &str,
        need: Need,
        (min, max): (u64, u64),
    ) {
        let Some(value) = self.field(obj, path, key, need) else {
            return;
        };
        let here = key_path(path, key);
        match value {
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    if u < min || u > max {
                        self.report(&here, format!("{u} is outside {min}..={max}"));
                    }
                } else if n.is_i64() {
                    self.report(&here, format!("{n} is outside {min}..={max}"));
                } else {
                    self.report(&here, format!("expected an integer, found {n}"));
                }
            }
            other => self.report(&here, format!("expected an integer, found {}", describe(other))),
        }
    }

    /// A boolean field; returns it when it is one.
    fn boolean(&mut self, obj: &Map<String, Value>, path: &str, key: &str) -> Option<bool> {
        match obj.get(key)? {
            Value::Bool(b) => Some(*b),
            other => {
                let problem = format!("expected a boolean, found {}", describe(other));
                self.report(&key_path(path, key), problem);
                None
            }
        }
    }

    /// An array field of `min..=max` elements; returns the elements whenever
    /// the field is an array, even one of the wrong length.
    fn array<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        path: &str,
        key: &str,
        need: Need,
        (min, max): (usize, usize),
    ) -> Option<&'a [Value]> {
        let value = self.field(obj, path, key, need)?;
        let here = key_path(path, key);
        let Value::Array(items) = value else {
            self.report(&here, format!("expected an array, found {}", describe(value)));
            return None;
        };
        let n = items.len();
        if n < min || n > max {
            self.report(&here, format!("has {n} elements, allowed {min}..={max}"));
        }
        Some(items)
    }

    /// An object field; returns it when it is one.
    fn sub_object<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        path: &str,
        key: &str,
        need: Need,
    ) -> Option<&'a Map<String, Value>> {
        let value = self.field(obj, path, key, need)?;
        self.object(value, &key_path(path, key))
    }

    /// A link object `{web: URL}`.
    fn link(&mut self, obj: &Map<String, Value>, path: &str, key: &str) {
        if let Some(link) = self.sub_object(obj, path, key, Optional) {
            self.url(link, &key_path(path, key), "web", Required);
        }
    }

    // ----- envelope ----------------------------------------------------------

    fn skill_response(&mut self, v: &Value) {
        if let Some(root) = self.object(v, "") {
            self.envelope(root);
        }
        let size = serialized_len(v);
        if size > MAX_RESPONSE_BYTES {
            self.report(
                "",
                format!("serialised response is {size} bytes, limit is {MAX_RESPONSE_BYTES}"),
            );
        }
    }

    fn envelope(&mut self, root: &Map<String, Value>) {
        if let Some(version) = self.text(root, "", "version", Required, Text::any())
            && version != "2.0"
        {
            self.report("version", format!("must be \"2.0\", found {version:?}"));
        }
        let callback = self.boolean(root, "", "useCallback") == Some(true);
        let need_template = if callback { Optional } else { Required };
        if let Some(template) = self.sub_object(root, "", "template", need_template) {
            self.template(template);
        }
        if let Some(context) = self.sub_object(root, "", "context", Optional) {
            self.context(context);
        }
        self.sub_object(root, "", "data", Optional);
    }

    fn template(&mut self, template: &Map<String, Value>) {
        let path = "template";
        if let Some(outputs) = self.array(template, path, "outputs", Required, (1, 3)) {
            for (i, output) in outputs.iter().enumerate() {
                self.output(output, &index_path("template.outputs", i));
            }
        }
        if let Some(replies) = self.array(template, path, "quickReplies", Optional, (0, 10)) {
            for (i, reply) in replies.iter().enumerate() {
                self.quick_reply(reply, &index_path("template.quickReplies", i));
            }
        }
    }

    fn output(&mut self, v: &Value, path: &str) {
        let Some(obj) = self.object(v, path) else {
            return;
        };
        let present: Vec<&str> = COMPONENT_KEYS
            .into_iter()
            .filter(|k| obj.contains_key(*k))
            .collect();
        match present.len() {
            0 => self.report(
                path,
                format!(
                    "must hold exactly one of {}; found none",
                    COMPONENT_KEYS.join(", ")
                ),
            ),
            1 => {}
            _ => self.report(
                path,
                format!("must hold exactly one component; found {}", present.join(", ")),
            ),
        }
        for key in present {
            let Some(component) = self.sub_object(obj, path, key, Required) else {
                continue;
            };
            let here = key_path(path, key);
            match (key, Card::from_name(key)) {
                ("simpleText", _) => self.simple_text(component, &here),
                ("simpleImage", _) => self.simple_image(component, &here),
                ("carousel", _) => self.carousel(component, &here),
                (_, Some(card)) => self.card(card, component, &here, false),
                (_, None) => {}
            }
        }
    }

    // ----- components -------------------------------------------------------

    fn simple_text(&mut self, obj: &Map<String, Value>, path: &str) {
        self.text(obj, path, "text", Required, Text::non_empty(1000));
    }

    fn simple_image(&mut self, obj: &Map<String, Value>, path: &str) {
        self.url(obj, path, "imageUrl", Required);
        self.text(obj, path, "altText", Required, Text::non_empty(50));
    }

    /// Checks `v` as a card of kind `card`; `in_carousel` selects the tighter
    /// limits that apply inside a carousel.
    fn card(&mut self, card: Card, obj: &Map<String, Value>, path: &str, in_carousel: bool) {
        match card {
            Card::Text => self.text_card(obj, path, in_carousel),
            Card::Basic => self.basic_card(obj, path),
            Card::Commerce => self.commerce_card(obj, path),
            Card::List => self.list_card(obj, path, in_carousel),
            Card::Item => self.item_card(obj, path, in_carousel),
        }
    }

    fn text_card(&mut self, obj: &Map<String, Value>, path: &str, in_carousel: bool) {
        let description_max = if in_carousel { 128 } else { 400 };
        let title = self.text(obj, path, "title", Optional, Text::up_to(50));
        let description = self.text(obj, path, "description", Optional, Text::up_to(description_max));
        if !title.is_some_and(is_non_blank) && !description.is_some_and(is_non_blank) {
            self.report(path, "needs a non-empty title or description");
        }
        self.buttons(obj, path, (0, 3), false);
    }

    fn basic_card(&mut self, obj: &Map<String, Value>, path: &str) {
        if let Some(thumbnail) = self.field(obj, path, "thumbnail", Required) {
            self.thumbnail(thumbnail, &key_path(path, "thumbnail"));
        }
        self.text(obj, path, "title", Optional, Text::up_to(50));
        self.text(obj, path, "description", Optional, Text::up_to(230));
        self.buttons(obj, path, (0, 3), false);
    }

    fn commerce_card(&mut self, obj: &Map<String, Value>, path: &str) {
        self.integer(obj, path, "price", Required, (0, u64::MAX));
        self.one_of(obj, path, "currency", Optional, &["won"]);
        for key in ["discount", "discountRate", "discountedPrice"] {
            self.integer(obj, path, key, Optional, (0, u64::MAX));
        }
        if let Some(thumbnails) = self.array(obj, path, "thumbnails", Required, (1, 1)) {
            let base = key_path(path, "thumbnails");
            for (i, thumbnail) in thumbnails.iter().enumerate() {
                self.thumbnail(thumbnail, &index_path(&base, i));
            }
        }
        self.buttons(obj, path, (1, 3), false);
        self.text(obj, path, "title", Optional, Text::up_to(30));
        self.text(obj, path, "description", Optional, Text::up_to(30));
        if let Some(profile) = self.sub_object(obj, path, "profile", Optional) {
            let here = key_path(path, "profile");
            self.text(profile, &here, "nickname", Required, Text::non_empty(15));
            self.url(profile, &here, "imageUrl", Optional);
        }
    }

    fn list_card(&mut self, obj: &Map<String, Value>, path: &str, in_carousel: bool) {
        if let Some(header) = self.sub_object(obj, path, "header", Required) {
            let here = key_path(path, "header");
            self.text(header, &here, "title", Required, Text::non_empty(50));
        }
        let max_items = if in_carousel { 4 } else { 5 };
        if let Some(items) = self.array(obj, path, "items", Required, (1, max_items)) {
            let base = key_path(path, "items");
            for (i, item) in items.iter().enumerate() {
                self.list_item(item, &index_path(&base, i));
            }
        }
        self.buttons(obj, path, (0, 2), true);
    }

    fn list_item(&mut self, v: &Value, path: &str) {
        let Some(obj) = self.object(v, path) else {
            return;
        };
        self.text(obj, path, "title", Required, Text::non_empty(50));
        self.text(obj, path, "description", Optional, Text::up_to(50));
        self.url(obj, path, "imageUrl", Optional);
        self.link(obj, path, "link");
        self.sub_object(obj, path, "extra", Optional);
        match self.one_of(obj, path, "action", Optional, &["block", "message"]) {
            Some("block") => self.block_target(obj, path),
            Some(_) => self.message_text(obj, path, Required),
            None => {}
        }
    }

    fn item_card(&mut self, obj: &Map<String, Value>, path: &str, in_carousel: bool) {
        let max_items = if in_carousel { 5 } else { 10 };
        if let Some(items) = self.array(obj, path, "itemList", Required, (1, max_items)) {
            let base = key_path(path, "itemList");
            for (i, item) in items.iter().enumerate() {
                let here = index_path(&base, i);
                if let Some(item) = self.object(item, &here) {
                    self.text(item, &here, "title", Required, Text::non_empty(20));
                    self.text(item, &here, "description", Required, Text::non_empty(50));
                }
            }
        }
        self.text(obj, path, "title", Optional, Text::up_to(50));
        self.text(obj, path, "description", Optional, Text::up_to(50));
        if let Some(thumbnail) = self.field(obj, path, "thumbnail", Optional) {
            self.thumbnail(thumbnail, &key_path(path, "thumbnail"));
        }
        if let Some(head) = self.sub_object(obj, path, "head", Optional) {
            self.text(
                head,
                &key_path(path, "head"),
                "title",
                Required,
                Text::non_empty(20),
            );
        }
        if let Some(image_title) = self.sub_object(obj, path, "imageTitle", Optional) {
            let here = key_path(path, "imageTitle");
            self.text(image_title, &here, "title", Required, Text::non_empty(50));
            self.text(image_title, &here, "description", Optional, Text::up_to(50));
            self.url(image_title, &here, "imageUrl", Optional);
        }
        self.one_of(obj, path, "itemListAlignment", Optional, &["left", "right"]);
        if let Some(summary) = self.sub_object(obj, path, "itemListSummary", Optional) {
            let here = key_path(path, "itemListSummary");
            self.text(summary, &here, "title", Required, Text::non_empty(20));
            self.text(summary, &here, "description", Required, Text::non_empty(50));
        }
        self.buttons(obj, path, (0, 3), false);
        self.one_of(obj, path, "buttonLayout", Optional, &["vertical", "horizontal"]);
    }

    fn carousel(&mut self, obj: &Map<String, Value>, path: &str) {
        let card = self
            .one_of(obj, path, "type", Required, &CAROUSEL_TYPES)
            .and_then(Card::from_name);
        if let Some(items) = self.array(obj, path, "items", Required, (1, 10)) {
            let base = key_path(path, "items");
            for (i, item) in items.iter().enumerate() {
                let here = index_path(&base, i);
                if let Some(item) = self.object(item, &here)
                    && let Some(card) = card
                {
                    self.card(card, item, &here, true);
                }
            }
        }
        if let Some(header) = self.sub_object(obj, path, "header", Optional) {
            let here = key_path(path, "header");
            if card.is_some_and(|c| !matches!(c, Card::Basic | Card::Commerce)) {
                self.report(
                    &here,
                    "a header is only allowed in basicCard and commerceCard carousels",
                );
            }
            self.text(header, &here, "title", Required, Text::non_empty(50));
            self.text(header, &here, "description", Optional, Text::up_to(50));
            if let Some(thumbnail) = self.field(header, &here, "thumbnail", Required) {
                self.thumbnail(thumbnail, &key_path(&here, "thumbnail"));
            }
        }
    }

    // ----- shared parts -----------------------------------------------------

    fn thumbnail(&mut self, v: &Value, path: &str) {
        let Some(obj) = self.object(v, path) else {
            return;
        };
        self.url(obj, path, "imageUrl", Required);
        self.link(obj, path, "link");
        let fixed = self.boolean(obj, path, "fixedRatio") == Some(true);
        let need = if fixed { Required } else { Optional };
        self.integer(obj, path, "width", need, (1, u64::MAX));
        self.integer(obj, path, "height", need, (1, u64::MAX));
    }

    /// The card's `buttons` array: `count` bounds its length (a lower bound
    /// above zero makes it required); labels are limited to 8 chars when
    /// buttons sit side by side (`always_side_by_side`, or exactly two).
    fn buttons(
        &mut self,
        obj: &Map<String, Value>,
        path: &str,
        count: (usize, usize),
        always_side_by_side: bool,
    ) {
        let need = if count.0 > 0 { Required } else { Optional };
        let Some(buttons) = self.array(obj, path, "buttons", need, count) else {
            return;
        };
        let label_max = if always_side_by_side || buttons.len() == 2 {
            MAX_SIDE_BY_SIDE_LABEL_CHARS
        } else {
            MAX_LABEL_CHARS
        };
        let base = key_path(path, "buttons");
        for (i, button) in buttons.iter().enumerate() {
            self.button(button, &index_path(&base, i), label_max);
        }
    }

    fn button(&mut self, v: &Value, path: &str, label_max: usize) {
        let Some(obj) = self.object(v, path) else {
            return;
        };
        self.text(obj, path, "label", Required, Text::non_empty(label_max));
        self.sub_object(obj, path, "extra", Optional);
        let Some(action) = self.one_of(obj, path, "action", Required, &BUTTON_ACTIONS) else {
            return;
        };
        match action {
            "webLink" => self.url(obj, path, "webLinkUrl", Required),
            "message" => self.message_text(obj, path, Required),
            "phone" => self.phone_number(obj, path),
            "block" => self.block_target(obj, path),
            "osLink" => self.os_link(obj, path),
            _ => {} // share, operator: nothing else needed
        }
    }

    /// `messageText`: non-empty, at most [`MAX_MESSAGE_TEXT_CHARS`].
    fn message_text(&mut self, obj: &Map<String, Value>, path: &str, need: Need) {
        let rule = Text::non_empty(MAX_MESSAGE_TEXT_CHARS);
        self.text(obj, path, "messageText", need, rule);
    }

    /// A `block` action target: `blockId` required, `messageText` optional.
    fn block_target(&mut self, obj: &Map<String, Value>, path: &str) {
        self.text(obj, path, "blockId", Required, Text::non_empty_unbounded());
        self.message_text(obj, path, Optional);
    }

    fn phone_number(&mut self, obj: &Map<String, Value>, path: &str) {
        let rule = Text::non_empty_unbounded();
        if let Some(number) = self.text(obj, path, "phoneNumber", Required, rule) {
            let allowed = |c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ');
            if let Some(c) = number.chars().find(|c| !allowed(*c)) {
                self.report(
                    &key_path(path, "phoneNumber"),
                    format!("contains {c:?}; only digits, '+', '-' and spaces are allowed"),
                );
            }
        }
    }

    fn os_link(&mut self, obj: &Map<String, Value>, path: &str) {
        let Some(links) = self.sub_object(obj, path, "osLink", Required) else {
            return;
        };
        let here = key_path(path, "osLink");
        let mut any = false;
        for key in OS_LINK_KEYS {
            any |= links.contains_key(key);
            self.text(links, &here, key, Optional, Text::non_empty_unbounded());
        }
        if !any {
            self.report(
                &here,
                format!("needs at least one of {}", OS_LINK_KEYS.join(", ")),
            );
        }
    }

    fn quick_reply(&mut self, v: &Value, path: &str) {
        let Some(obj) = self.object(v, path) else {
            return;
        };
        self.text(obj, path, "label", Required, Text::non_empty(MAX_LABEL_CHARS));
        self.sub_object(obj, path, "extra", Optional);
        match self.one_of(obj, path, "action", Required, &["message", "block"]) {
            Some("block") => self.block_target(obj, path),
            Some(_) => self.message_text(obj, path, Required),
            None => {}
        }
    }

    fn context(&mut self, context: &Map<String, Value>) {
        let Some(values) = self.array(context, "context", "values", Required, (0, 10)) else {
            return;
        };
        for (i, value) in values.iter().enumerate() {
            let path = index_path("context.values", i);
            let Some(obj) = self.object(value, &path) else {
                continue;
            };
            self.text(obj, &path, "name", Required, Text::non_empty(64));
            self.integer(obj, &path, "lifeSpan", Required, (0, 100));
            self.integer(obj, &path, "ttl", Optional, (0, 86_400));
            if let Some(params) = self.sub_object(obj, &path, "params", Optional) {
                let here = key_path(&path, "params");
                for (key, param) in params {
                    if !param.is_string() {
                        let problem = format!("expected a string, found {}", describe(param));
                        self.report(&key_path(&here, key), problem);
                    }
                }
            }
        }
    }

    // ----- parameter validation skill ---------------------------------------

    fn validation_response(&mut self, v: &Value) {
        let Some(root) = self.object(v, "") else {
            return;
        };
        self.one_of(root, "", "status", Required, &["SUCCESS", "FAIL", "ERROR"]);
        self.text(root, "", "value", Optional, Text::any());
        self.sub_object(root, "", "data", Optional);
        self.text(root, "", "message", Optional, Text::any());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // ----- helpers -----------------------------------------------------------

    fn violations(v: &Value) -> Vec<Violation> {
        check_skill_response(v).err().unwrap_or_default()
    }

    #[track_caller]
    fn passes(v: &Value) {
        if let Err(found) = check_skill_response(v) {
            panic!("expected no violations, got {found:#?}\nfor {v}");
        }
    }

    /// Asserts at least one violation, and that every violation is at `path`.
    #[track_caller]
    fn breaks(v: &Value, path: &str) {
        let found = violations(v);
        assert!(
            !found.is_empty(),
            "expected a violation at {path:?}, got none\nfor {v}"
        );
        assert!(
            found.iter().all(|f| f.path == path),
            "expected violations only at {path:?}, got {found:#?}\nfor {v}"
        );
    }

    /// Wraps one output component in a minimal response.
    fn response(output: Value) -> Value {
        json!({"version": "2.0", "template": {"outputs": [output]}})
    }

    /// Replaces (or inserts) the value at JSON pointer `ptr`.
    fn with(mut v: Value, ptr: &str, new: Value) -> Value {
        let (parent, last) = ptr.rsplit_once('/').expect("pointer has a slash");
        match v.pointer_mut(parent).expect("parent exists") {
            Value::Object(map) => {
                map.insert(last.to_owned(), new);
            }
            Value::Array(items) => items[last.parse::<usize>().expect("index")] = new,
            _ => panic!("parent of {ptr} is not a container"),
        }
        v
    }

    /// Removes the key at JSON pointer `ptr`.
    fn without(mut v: Value, ptr: &str) -> Value {
        let (parent, last) = ptr.rsplit_once('/').expect("pointer has a slash");
        let map = v.pointer_mut(parent).and_then(Value::as_object_mut);
        assert!(
            map.expect("parent object").remove(last).is_some(),
            "{ptr} existed"
        );
        v
    }

    fn korean(n: usize) -> String {
        "가".repeat(n)
    }

    fn strings(n: usize, f: impl Fn(usize) -> Value) -> Value {
        Value::Array((0..n).map(f).collect())
    }

    const IMG: &str = "https://img.example.com/a.png";

    fn link_button(label: &str) -> Value {
        json!({"label": label, "action": "webLink", "webLinkUrl": "https://example.com"})
    }

    fn thumbnail() -> Value {
        json!({"imageUrl": IMG})
    }

    fn simple_text() -> Value {
        json!({"simpleText": {"text": "안녕하세요"}})
    }

    fn simple_image() -> Value {
        json!({"simpleImage": {"imageUrl": IMG, "altText": "매물 사진"}})
    }

    fn text_card_body() -> Value {
        json!({"title": "공지", "description": "오늘은 쉽니다", "buttons": [link_button("열기")]})
    }

    fn basic_card_body() -> Value {
        json!({
            "title": "아이폰 15",
            "description": "상태 좋아요",
            "thumbnail": {"imageUrl": IMG, "link": {"web": "https://example.com/1"},
                          "fixedRatio": true, "width": 800, "height": 800},
            "buttons": [
                {"label": "전화하기", "action": "phone", "phoneNumber": "+82 10-1234-5678"},
                {"label": "공유", "action": "share"},
                {"label": "상담원 연결", "action": "operator"}
            ]
        })
    }

    fn commerce_card_body() -> Value {
        json!({
            "title": "아이폰 15",
            "description": "미개봉",
            "price": 500_000,
            "currency": "won",
            "discount": 10_000,
            "discountRate": 2,
            "discountedPrice": 490_000,
            "thumbnails": [{"imageUrl": IMG}],
            "profile": {"nickname": "판매자", "imageUrl": IMG},
            "buttons": [{"label": "구매하기", "action": "block", "blockId": "b1",
                         "messageText": "구매할래요", "extra": {"item": "1"}}]
        })
    }

    fn list_card_body() -> Value {
        json!({
            "header": {"title": "최근 매물"},
            "items": [
                {"title": "자전거", "description": "5만원", "imageUrl": IMG,
                 "link": {"web": "https://example.com/1"}},
                {"title": "책상", "action": "block", "blockId": "b2", "extra": {"id": "2"}},
                {"title": "의자", "action": "message", "messageText": "의자 보기"}
            ],
            "buttons": [
                {"label": "더보기", "action": "message", "messageText": "더보기"},
                {"label": "앱 열기", "action": "osLink",
                 "osLink": {"android": "market://details?id=x", "ios": "itms-apps://y"}}
            ]
        })
    }

    fn item_card_body() -> Value {
        json!({
            "thumbnail": thumbnail(),
            "head": {"title": "주문 내역"},
            "imageTitle": {"title": "아이폰", "description": "미개봉", "imageUrl": IMG},
            "itemList": [
                {"title": "상품", "description": "아이폰 15"},
                {"title": "가격", "description": "500,000원"}
            ],
            "itemListAlignment": "right",
            "itemListSummary": {"title": "합계", "description": "500,000원"},
            "title": "주문 확인",
            "description": "결제를 진행해 주세요",
            "buttons": [link_button("결제")],
            "buttonLayout": "vertical"
        })
    }

    fn card(kind: &str, body: Value) -> Value {
        json!({ kind: body })
    }

    fn carousel(kind: &str, items: Vec<Value>) -> Value {
        json!({"carousel": {"type": kind, "items": items}})
    }

    fn full_response() -> Value {
        json!({
            "version": "2.0",
            "template": {
                "outputs": [simple_text(), simple_image(), card("basicCard", basic_card_body())],
                "quickReplies": [
                    {"label": "처음으로", "action": "message", "messageText": "처음으로"},
                    {"label": "내 매물", "action": "block", "blockId": "b3",
                     "messageText": "내 매물", "extra": {"page": "1"}}
                ]
            },
            "context": {"values": [
                {"name": "listing", "lifeSpan": 5, "ttl": 600, "params": {"id": "42"}}
            ]},
            "data": {"k": "v"}
        })
    }

    // ----- valid examples ------------------------------------------------

    #[test]
    fn a_full_response_with_quick_replies_context_and_data_passes() {
        passes(&full_response());
    }

    #[test]
    fn every_component_on_its_own_passes() {
        passes(&response(simple_text()));
        passes(&response(simple_image()));
        passes(&response(card("textCard", text_card_body())));
        passes(&response(card("basicCard", basic_card_body())));
        passes(&response(card("commerceCard", commerce_card_body())));
        passes(&response(card("listCard", list_card_body())));
        passes(&response(card("itemCard", item_card_body())));
    }

    #[test]
    fn minimal_cards_pass() {
        passes(&response(json!({"textCard": {"description": "d"}})));
        passes(&response(json!({"basicCard": {"thumbnail": {"imageUrl": IMG}}})));
        passes(&response(json!({"commerceCard": {
            "price": 0, "thumbnails": [thumbnail()], "buttons": [link_button("구매")]}})));
        passes(&response(json!({"listCard": {
            "header": {"title": "h"}, "items": [{"title": "t"}]}})));
        passes(&response(json!({"itemCard": {
            "itemList": [{"title": "t", "description": "d"}]}})));
    }

    #[test]
    fn carousels_of_every_card_type_pass() {
        let header = json!({"title": "추천", "description": "오늘의 매물", "thumbnail": thumbnail()});
        let basic = with(
            carousel("basicCard", vec![basic_card_body(), basic_card_body()]),
            "/carousel/header",
            header.clone(),
        );
        passes(&response(basic));
        let commerce = with(
            carousel("commerceCard", vec![commerce_card_body()]),
            "/carousel/header",
            header,
        );
        passes(&response(commerce));
        passes(&response(carousel("textCard", vec![text_card_body(); 3])));
        passes(&response(carousel("listCard", vec![list_card_body(); 2])));
        passes(&response(carousel("itemCard", vec![item_card_body(); 2])));
    }

    #[test]
    fn a_callback_acknowledgement_without_template_passes() {
        passes(&json!({"version": "2.0", "useCallback": true}));
        passes(&json!({"version": "2.0", "useCallback": true, "data": {"text": "잠시만요"}}));
    }

    #[test]
    fn three_outputs_and_ten_quick_replies_pass() {
        let reply = json!({"label": "다음", "action": "message", "messageText": "다음"});
        let v = json!({"version": "2.0", "template": {
            "outputs": [simple_text(), simple_text(), simple_text()],
            "quickReplies": vec![reply; 10]}});
        passes(&v);
    }

    #[test]
    fn unknown_keys_are_ignored() {
        let mut v = full_response();
        v["extraRoot"] = json!(1);
        v["template"]["unknown"] = json!([null]);
        v["template"]["outputs"][0]["simpleText"]["foo"] = json!({"bar": null});
        v["template"]["outputs"][0]["sidecar"] = json!("ignored");
        passes(&v);
    }

    // ----- envelope --------------------------------------------------------

    #[test]
    fn a_non_object_root_is_reported_at_the_root() {
        breaks(&json!([]), "");
        breaks(&json!("2.0"), "");
        breaks(&Value::Null, "");
    }

    #[test]
    fn version_must_be_the_string_2_0() {
        breaks(&without(response(simple_text()), "/version"), "version");
        breaks(
            &with(response(simple_text()), "/version", json!("1.0")),
            "version",
        );
        breaks(&with(response(simple_text()), "/version", json!(2.0)), "version");
    }

    #[test]
    fn template_is_required_unless_use_callback_is_true() {
        breaks(&json!({"version": "2.0"}), "template");
        breaks(&json!({"version": "2.0", "useCallback": false}), "template");
        breaks(&with(response(simple_text()), "/template", json!([])), "template");
    }

    #[test]
    fn use_callback_must_be_a_boolean() {
        breaks(
            &with(response(simple_text()), "/useCallback", json!("true")),
            "useCallback",
        );
    }

    #[test]
    fn a_template_sent_with_use_callback_is_still_checked() {
        let v = json!({"version": "2.0", "useCallback": true, "template": {"outputs": []}});
        breaks(&v, "template.outputs");
    }

    #[test]
    fn outputs_must_hold_one_to_three_components() {
        let base = response(simple_text());
        breaks(&without(base.clone(), "/template/outputs"), "template.outputs");
        breaks(
            &with(base.clone(), "/template/outputs", json!([])),
            "template.outputs",
        );
        breaks(
            &with(base.clone(), "/template/outputs", json!({})),
            "template.outputs",
        );
        let four = strings(4, |_| simple_text());
        breaks(&with(base, "/template/outputs", four), "template.outputs");
    }

    #[test]
    fn quick_replies_are_limited_to_ten() {
        let reply = json!({"label": "다음", "action": "message", "messageText": "다음"});
        let v = with(
            response(simple_text()),
            "/template/quickReplies",
            json!(vec![reply; 11]),
        );
        breaks(&v, "template.quickReplies");
    }

    #[test]
    fn an_output_must_hold_exactly_one_component() {
        breaks(&response(json!({})), "template.outputs[0]");
        breaks(&response(json!({"fancyCard": {}})), "template.outputs[0]");
        let two = json!({"simpleText": {"text": "a"}, "simpleImage": {"imageUrl": IMG, "altText": "b"}});
        breaks(&response(two), "template.outputs[0]");
        breaks(&response(json!("simpleText")), "template.outputs[0]");
    }

    #[test]
    fn a_component_must_be_an_object() {
        breaks(
            &response(json!({"simpleText": "hi"})),
            "template.outputs[0].simpleText",
        );
        breaks(
            &response(json!({"carousel": null})),
            "template.outputs[0].carousel",
        );
    }

    #[test]
    fn data_and_context_must_be_objects() {
        breaks(&with(full_response(), "/data", json!("x")), "data");
        breaks(&with(full_response(), "/context", json!([])), "context");
    }

    #[test]
    fn violations_in_different_places_are_all_reported() {
        let mut v = full_response();
        v["version"] = json!("1.0");
        v["template"]["outputs"][0]["simpleText"]["text"] = json!("");
        v["template"]["quickReplies"][1]["blockId"] = json!(" ");
        v["context"]["values"][0]["lifeSpan"] = json!(101);
        let paths: Vec<String> = violations(&v).into_iter().map(|f| f.path).collect();
        assert_eq!(
            paths,
            [
                "version",
                "template.outputs[0].simpleText.text",
                "template.quickReplies[1].blockId",
                "context.values[0].lifeSpan"
            ]
        );
    }

    #[test]
    fn an_explicit_null_for_an_optional_field_is_a_violation() {
        let v = response(card("basicCard", with(basic_card_body(), "/title", Value::Null)));
        breaks(&v, "template.outputs[0].basicCard.title");
    }

    // ----- simpleText / simpleImage ----------------------------------------

    #[test]
    fn simple_text_needs_non_blank_text_of_at_most_1000_chars() {
        let at = |text: Value| response(json!({"simpleText": {"text": text}}));
        let path = "template.outputs[0].simpleText.text";
        passes(&at(json!(korean(1000))));
        breaks(&at(json!(korean(1001))), path);
        breaks(&at(json!(" \n\t")), path);
        breaks(&at(json!(12)), path);
        breaks(&response(json!({"simpleText": {}})), path);
    }

    #[test]
    fn simple_image_needs_a_valid_url_and_alt_text_of_at_most_50_chars() {
        let base = simple_image();
        let path = "template.outputs[0].simpleImage";
        breaks(
            &response(with(base.clone(), "/simpleImage/imageUrl", json!("img.png"))),
            &format!("{path}.imageUrl"),
        );
        breaks(
            &response(without(base.clone(), "/simpleImage/imageUrl")),
            &format!("{path}.imageUrl"),
        );
        passes(&response(with(
            base.clone(),
            "/simpleImage/altText",
            json!(korean(50)),
        )));
        breaks(
            &response(with(base.clone(), "/simpleImage/altText", json!(korean(51)))),
            &format!("{path}.altText"),
        );
        breaks(
            &response(with(base.clone(), "/simpleImage/altText", json!(""))),
            &format!("{path}.altText"),
        );
        breaks(
            &response(without(base, "/simpleImage/altText")),
            &format!("{path}.altText"),
        );
    }

    // ----- textCard --------------------------------------------------------

    #[test]
    fn text_card_title_is_limited_to_50_chars() {
        let at = |t: usize| {
            response(card(
                "textCard",
                with(text_card_body(), "/title", json!(korean(t))),
            ))
        };
        passes(&at(50));
        breaks(&at(51), "template.outputs[0].textCard.title");
    }

    #[test]
    fn text_card_description_is_limited_to_400_chars_alone_and_128_in_a_carousel() {
        let body = |n: usize| with(text_card_body(), "/description", json!(korean(n)));
        passes(&response(card("textCard", body(400))));
        breaks(
            &response(card("textCard", body(401))),
            "template.outputs[0].textCard.description",
        );
        passes(&response(carousel("textCard", vec![body(128)])));
        breaks(
            &response(carousel("textCard", vec![body(1), body(129)])),
            "template.outputs[0].carousel.items[1].description",
        );
    }

    #[test]
    fn text_card_needs_a_non_blank_title_or_description() {
        let path = "template.outputs[0].textCard";
        passes(&response(json!({"textCard": {"title": "t"}})));
        passes(&response(json!({"textCard": {"title": " ", "description": "d"}})));
        breaks(&response(json!({"textCard": {}})), path);
        breaks(
            &response(json!({"textCard": {"title": "  ", "description": ""}})),
            path,
        );
    }

    #[test]
    fn text_card_allows_at_most_three_buttons() {
        let body = with(text_card_body(), "/buttons", strings(4, |_| link_button("열기")));
        breaks(
            &response(card("textCard", body)),
            "template.outputs[0].textCard.buttons",
        );
        let body = with(text_card_body(), "/buttons", strings(3, |_| link_button("열기")));
        passes(&response(card("textCard", body)));
    }

    // ----- basicCard -------------------------------------------------------

    #[test]
    fn basic_card_needs_a_thumbnail_with_a_valid_image_url() {
        let path = "template.outputs[0].basicCard.thumbnail";
        breaks(
            &response(card("basicCard", without(basic_card_body(), "/thumbnail"))),
            path,
        );
        breaks(
            &response(card(
                "basicCard",
                with(basic_card_body(), "/thumbnail", json!(IMG)),
            )),
            path,
        );
        let bad = with(basic_card_body(), "/thumbnail/imageUrl", json!("ftp://x/a.png"));
        breaks(&response(card("basicCard", bad)), &format!("{path}.imageUrl"));
    }

    #[test]
    fn basic_card_title_and_description_are_limited_to_50_and_230_chars() {
        let at = |key: &str, n: usize| {
            response(card(
                "basicCard",
                with(basic_card_body(), &format!("/{key}"), json!(korean(n))),
            ))
        };
        passes(&at("title", 50));
        breaks(&at("title", 51), "template.outputs[0].basicCard.title");
        passes(&at("description", 230));
        breaks(
            &at("description", 231),
            "template.outputs[0].basicCard.description",
        );
    }

    #[test]
    fn basic_card_allows_at_most_three_buttons() {
        let body = with(basic_card_body(), "/buttons", strings(4, |_| link_button("열기")));
        breaks(
            &response(card("basicCard", body)),
            "template.outputs[0].basicCard.buttons",
        );
    }

    // ----- commerceCard ----------------------------------------------------

    #[test]
    fn commerce_card_price_must_be_a_non_negative_json_integer() {
        let path = "template.outputs[0].commerceCard.price";
        let at = |price: Value| response(card("commerceCard", with(commerce_card_body(), "/price", price)));
        breaks(
            &response(card("commerceCard", without(commerce_card_body(), "/price"))),
            path,
        );
        breaks(&at(json!("500000")), path);
        breaks(&at(json!(500000.0)), path);
        breaks(&at(json!(-1)), path);
        passes(&at(json!(0)));
        passes(&at(json!(u64::MAX)));
    }

    #[test]
    fn commerce_card_currency_must_be_won() {
        let v = response(card(
            "commerceCard",
            with(commerce_card_body(), "/currency", json!("usd")),
        ));
        breaks(&v, "template.outputs[0].commerceCard.currency");
    }

    #[test]
    fn commerce_card_discounts_must_be_non_negative_integers() {
        for (key, bad) in [
            ("discount", json!(-5)),
            ("discountRate", json!(1.5)),
            ("discountedPrice", json!("490000")),
        ] {
            let v = response(card(
                "commerceCard",
                with(commerce_card_body(), &format!("/{key}"), bad),
            ));
            breaks(&v, &format!("template.outputs[0].commerceCard.{key}"));
        }
    }

    #[test]
    fn commerce_card_needs_exactly_one_valid_thumbnail() {
        let path = "template.outputs[0].commerceCard.thumbnails";
        let at = |t: Value| response(card("commerceCard", with(commerce_card_body(), "/thumbnails", t)));
        breaks(
            &response(card("commerceCard", without(commerce_card_body(), "/thumbnails"))),
            path,
        );
        breaks(&at(json!([])), path);
        breaks(&at(json!([thumbnail(), thumbnail()])), path);
        breaks(&at(json!(thumbnail())), path);
        breaks(
            &at(json!([{"imageUrl": "https://"}])),
            &format!("{path}[0].imageUrl"),
        );
    }

    #[test]
    fn commerce_card_needs_one_to_three_buttons() {
        let path = "template.outputs[0].commerceCard.buttons";
        let at = |n: usize| {
            response(card(
                "commerceCard",
                with(
                    commerce_card_body(),
                    "/buttons",
                    strings(n, |_| link_button("구매")),
                ),
            ))
        };
        breaks(
            &response(card("commerceCard", without(commerce_card_body(), "/buttons"))),
            path,
        );
        breaks(&at(0), path);
        passes(&at(3));
        breaks(&at(4), path);
    }

    #[test]
    fn commerce_card_title_and_description_are_limited_to_30_chars() {
        for key in ["title", "description"] {
            let at = |n: usize| {
                response(card(
                    "commerceCard",
                    with(commerce_card_body(), &format!("/{key}"), json!(korean(n))),
                ))
            };
            passes(&at(30));
            breaks(&at(31), &format!("template.outputs[0].commerceCard.{key}"));
        }
    }

    #[test]
    fn commerce_card_profile_needs_a_short_nickname_and_a_valid_image_url() {
        let path = "template.outputs[0].commerceCard.profile";
        let at = |p: Value| response(card("commerceCard", with(commerce_card_body(), "/profile", p)));
        passes(&at(json!({"nickname": korean(15)})));
        breaks(&at(json!({"nickname": korean(16)})), &format!("{path}.nickname"));
        breaks(&at(json!({"imageUrl": IMG})), &format!("{path}.nickname"));
        breaks(
            &at(json!({"nickname": "n", "imageUrl": "not a url"})),
            &format!("{path}.imageUrl"),
        );
        breaks(&at(json!("판매자")), path);
    }

    // ----- listCard --------------------------------------------------------

    #[test]
    fn list_card_needs_a_header_with_a_short_non_blank_title() {
        let path = "template.outputs[0].listCard.header";
        let at = |h: Value| response(card("listCard", with(list_card_body(), "/header", h)));
        breaks(
            &response(card("listCard", without(list_card_body(), "/header"))),
            path,
        );
        breaks(&at(json!({})), &format!("{path}.title"));
        breaks(&at(json!({"title": ""})), &format!("{path}.title"));
        passes(&at(json!({"title": korean(50)})));
        breaks(&at(json!({"title": korean(51)})), &format!("{path}.title"));
    }

    #[test]
    fn list_card_holds_one_to_five_items_alone_and_at_most_four_in_a_carousel() {
        let item = json!({"title": "t"});
        let body = |n: usize| with(list_card_body(), "/items", strings(n, |_| item.clone()));
        passes(&response(card("listCard", body(5))));
        breaks(
            &response(card("listCard", body(6))),
            "template.outputs[0].listCard.items",
        );
        breaks(
            &response(card("listCard", body(0))),
            "template.outputs[0].listCard.items",
        );
        passes(&response(carousel("listCard", vec![body(4)])));
        breaks(
            &response(carousel("listCard", vec![body(4), body(5)])),
            "template.outputs[0].carousel.items[1].items",
        );
    }

    #[test]
    fn list_items_are_checked_field_by_field() {
        let path = "template.outputs[0].listCard.items[0]";
        let at = |item: Value| response(card("listCard", with(list_card_body(), "/items/0", item)));
        passes(&at(json!({"title": korean(50), "description": korean(50)})));
        breaks(&at(json!({"description": "d"})), &format!("{path}.title"));
        breaks(&at(json!({"title": korean(51)})), &format!("{path}.title"));
        breaks(
            &at(json!({"title": "t", "description": korean(51)})),
            &format!("{path}.description"),
        );
        breaks(
            &at(json!({"title": "t", "imageUrl": "/a.png"})),
            &format!("{path}.imageUrl"),
        );
        breaks(
            &at(json!({"title": "t", "link": {"web": "example.com"}})),
            &format!("{path}.link.web"),
        );
        breaks(
            &at(json!({"title": "t", "link": {}})),
            &format!("{path}.link.web"),
        );
        breaks(
            &at(json!({"title": "t", "action": "webLink"})),
            &format!("{path}.action"),
        );
        breaks(
            &at(json!({"title": "t", "action": "block"})),
            &format!("{path}.blockId"),
        );
        breaks(
            &at(json!({"title": "t", "action": "message"})),
            &format!("{path}.messageText"),
        );
        breaks(&at(json!({"title": "t", "extra": "x"})), &format!("{path}.extra"));
        breaks(&at(json!(["t"])), path);
    }

    #[test]
    fn list_card_allows_two_buttons_with_labels_of_at_most_8_chars() {
        let path = "template.outputs[0].listCard.buttons";
        let at = |b: Value| response(card("listCard", with(list_card_body(), "/buttons", b)));
        breaks(&at(strings(3, |_| link_button("열기"))), path);
        passes(&at(json!([link_button(&korean(8))])));
        breaks(&at(json!([link_button(&korean(9))])), &format!("{path}[0].label"));
    }

    // ----- itemCard --------------------------------------------------------

    #[test]
    fn item_card_item_list_holds_one_to_ten_items_alone_and_five_in_a_carousel() {
        let item = json!({"title": "t", "description": "d"});
        let body = |n: usize| with(item_card_body(), "/itemList", strings(n, |_| item.clone()));
        breaks(
            &response(card("itemCard", without(item_card_body(), "/itemList"))),
            "template.outputs[0].itemCard.itemList",
        );
        breaks(
            &response(card("itemCard", body(0))),
            "template.outputs[0].itemCard.itemList",
        );
        passes(&response(card("itemCard", body(10))));
        breaks(
            &response(card("itemCard", body(11))),
            "template.outputs[0].itemCard.itemList",
        );
        passes(&response(carousel("itemCard", vec![body(5)])));
        breaks(
            &response(carousel("itemCard", vec![body(6)])),
            "template.outputs[0].carousel.items[0].itemList",
        );
    }

    #[test]
    fn item_card_list_entries_need_a_short_title_and_description() {
        let path = "template.outputs[0].itemCard.itemList[1]";
        let at = |item: Value| response(card("itemCard", with(item_card_body(), "/itemList/1", item)));
        passes(&at(json!({"title": korean(20), "description": korean(50)})));
        breaks(
            &at(json!({"title": korean(21), "description": "d"})),
            &format!("{path}.title"),
        );
        breaks(
            &at(json!({"title": "t", "description": korean(51)})),
            &format!("{path}.description"),
        );
        breaks(
            &at(json!({"title": "t", "description": " "})),
            &format!("{path}.description"),
        );
        breaks(&at(json!({"description": "d"})), &format!("{path}.title"));
        breaks(&at(json!(7)), path);
    }

    #[test]
    fn item_card_optional_parts_are_checked() {
        let path = "template.outputs[0].itemCard";
        let at = |ptr: &str, v: Value| response(card("itemCard", with(item_card_body(), ptr, v)));
        breaks(&at("/title", json!(korean(51))), &format!("{path}.title"));
        breaks(
            &at("/description", json!(korean(51))),
            &format!("{path}.description"),
        );
        breaks(
            &at("/thumbnail/imageUrl", json!("x")),
            &format!("{path}.thumbnail.imageUrl"),
        );
        breaks(&at("/head/title", json!("")), &format!("{path}.head.title"));
        breaks(
            &at("/head/title", json!(korean(21))),
            &format!("{path}.head.title"),
        );
        breaks(
            &at("/imageTitle", json!({"description": "d"})),
            &format!("{path}.imageTitle.title"),
        );
        breaks(
            &at("/imageTitle/title", json!(korean(51))),
            &format!("{path}.imageTitle.title"),
        );
        breaks(
            &at("/imageTitle/description", json!(korean(51))),
            &format!("{path}.imageTitle.description"),
        );
        breaks(
            &at("/imageTitle/imageUrl", json!("data:x")),
            &format!("{path}.imageTitle.imageUrl"),
        );
        breaks(
            &at("/itemListAlignment", json!("center")),
            &format!("{path}.itemListAlignment"),
        );
        breaks(
            &at("/itemListSummary", json!({"title": "합계"})),
            &format!("{path}.itemListSummary.description"),
        );
        breaks(
            &at("/itemListSummary/title", json!(korean(21))),
            &format!("{path}.itemListSummary.title"),
        );
        breaks(
            &at("/buttons", strings(4, |_| link_button("b"))),
            &format!("{path}.buttons"),
        );
        breaks(
            &at("/buttonLayout", json!("diagonal")),
            &format!("{path}.buttonLayout"),
        );
        passes(&at("/buttonLayout", json!("horizontal")));
        passes(&at("/itemListAlignment", json!("left")));
    }

    // ----- carousel ----------------------------------------------------------

    #[test]
    fn carousel_type_must_be_a_card_type() {
        let path = "template.outputs[0].carousel.type";
        breaks(
            &response(json!({"carousel": {"items": [text_card_body()]}})),
            path,
        );
        breaks(
            &response(carousel("simpleText", vec![json!({"text": "t"})])),
            path,
        );
        breaks(&response(carousel("carousel", vec![json!({})])), path);
    }

    #[test]
    fn carousel_holds_one_to_ten_items() {
        let path = "template.outputs[0].carousel.items";
        passes(&response(carousel("textCard", vec![text_card_body(); 10])));
        breaks(&response(carousel("textCard", vec![text_card_body(); 11])), path);
        breaks(&response(carousel("textCard", vec![])), path);
        breaks(&response(json!({"carousel": {"type": "textCard"}})), path);
    }

    #[test]
    fn carousel_items_are_checked_as_their_type() {
        let items = vec![
            basic_card_body(),
            basic_card_body(),
            basic_card_body(),
            without(basic_card_body(), "/thumbnail"),
        ];
        breaks(
            &response(carousel("basicCard", items)),
            "template.outputs[0].carousel.items[3].thumbnail",
        );
        breaks(
            &response(carousel("basicCard", vec![json!(null)])),
            "template.outputs[0].carousel.items[0]",
        );
    }

    #[test]
    fn carousel_header_is_only_for_basic_and_commerce_cards_and_is_checked() {
        let path = "template.outputs[0].carousel.header";
        let header = json!({"title": "추천", "thumbnail": thumbnail()});
        let list = with(
            carousel("listCard", vec![list_card_body()]),
            "/carousel/header",
            header.clone(),
        );
        breaks(&response(list), path);
        let basic = |h: Value| {
            response(with(
                carousel("basicCard", vec![basic_card_body()]),
                "/carousel/header",
                h,
            ))
        };
        passes(&basic(header));
        breaks(
            &basic(json!({"title": "", "thumbnail": thumbnail()})),
            &format!("{path}.title"),
        );
        breaks(
            &basic(json!({"title": korean(51), "thumbnail": thumbnail()})),
            &format!("{path}.title"),
        );
        breaks(
            &basic(json!({"title": "t", "description": korean(51), "thumbnail": thumbnail()})),
            &format!("{path}.description"),
        );
        breaks(&basic(json!({"title": "t"})), &format!("{path}.thumbnail"));
        breaks(
            &basic(json!({"title": "t", "thumbnail": {"imageUrl": ""}})),
            &format!("{path}.thumbnail.imageUrl"),
        );
    }

    // ----- buttons ---------------------------------------------------------

    fn text_card_with_buttons(buttons: Value) -> Value {
        response(json!({"textCard": {"title": "t", "buttons": buttons}}))
    }

    const B0: &str = "template.outputs[0].textCard.buttons[0]";

    #[test]
    fn two_buttons_side_by_side_have_labels_of_at_most_8_chars() {
        passes(&text_card_with_buttons(json!([
            link_button(&korean(8)),
            link_button("b")
        ])));
        breaks(
            &text_card_with_buttons(json!([link_button("a"), link_button(&korean(9))])),
            "template.outputs[0].textCard.buttons[1].label",
        );
    }

    #[test]
    fn one_or_three_buttons_have_labels_of_at_most_14_chars() {
        passes(&text_card_with_buttons(json!([link_button(&korean(14))])));
        breaks(
            &text_card_with_buttons(json!([link_button(&korean(15))])),
            &format!("{B0}.label"),
        );
        let three = |first: &str| json!([link_button(first), link_button("b"), link_button("c")]);
        passes(&text_card_with_buttons(three(&korean(14))));
        breaks(
            &text_card_with_buttons(three(&korean(15))),
            &format!("{B0}.label"),
        );
    }

    #[test]
    fn a_button_label_is_required_and_non_blank() {
        breaks(
            &text_card_with_buttons(json!([link_button(" ")])),
            &format!("{B0}.label"),
        );
        breaks(
            &text_card_with_buttons(json!([{"action": "share"}])),
            &format!("{B0}.label"),
        );
    }

    #[test]
    fn a_button_action_is_required_and_known() {
        breaks(
            &text_card_with_buttons(json!([{"label": "a"}])),
            &format!("{B0}.action"),
        );
        breaks(
            &text_card_with_buttons(json!([{"label": "a", "action": "teleport"}])),
            &format!("{B0}.action"),
        );
        breaks(
            &text_card_with_buttons(json!([{"label": "a", "action": 3}])),
            &format!("{B0}.action"),
        );
        breaks(&text_card_with_buttons(json!(["a"])), B0);
        passes(&text_card_with_buttons(
            json!([{"label": "공유", "action": "share"}]),
        ));
        passes(&text_card_with_buttons(
            json!([{"label": "상담", "action": "operator"}]),
        ));
    }

    #[test]
    fn web_link_buttons_need_a_valid_url() {
        let at = |b: Value| text_card_with_buttons(json!([b]));
        let path = format!("{B0}.webLinkUrl");
        breaks(&at(json!({"label": "a", "action": "webLink"})), &path);
        breaks(
            &at(json!({"label": "a", "action": "webLink", "webLinkUrl": "www.example.com"})),
            &path,
        );
    }

    #[test]
    fn message_buttons_need_message_text_of_at_most_1000_chars() {
        let at = |b: Value| text_card_with_buttons(json!([b]));
        let path = format!("{B0}.messageText");
        breaks(&at(json!({"label": "a", "action": "message"})), &path);
        breaks(
            &at(json!({"label": "a", "action": "message", "messageText": ""})),
            &path,
        );
        passes(&at(
            json!({"label": "a", "action": "message", "messageText": korean(1000)}),
        ));
        breaks(
            &at(json!({"label": "a", "action": "message", "messageText": korean(1001)})),
            &path,
        );
    }

    #[test]
    fn phone_buttons_need_a_number_of_digits_plus_dash_and_space() {
        let at = |n: Value| {
            text_card_with_buttons(json!([{"label": "전화", "action": "phone", "phoneNumber": n}]))
        };
        let path = format!("{B0}.phoneNumber");
        passes(&at(json!("010-1234-5678")));
        passes(&at(json!("+82 10 1234 5678")));
        breaks(&at(json!("010-CALL-NOW")), &path);
        breaks(&at(json!("010\t1234")), &path);
        breaks(&at(json!("")), &path);
        breaks(&at(json!(1012345678)), &path);
        breaks(
            &text_card_with_buttons(json!([{"label": "a", "action": "phone"}])),
            &path,
        );
    }

    #[test]
    fn block_buttons_need_a_block_id_and_optional_message_text_and_extra() {
        let at = |b: Value| text_card_with_buttons(json!([b]));
        passes(&at(json!({"label": "a", "action": "block", "blockId": "b"})));
        breaks(
            &at(json!({"label": "a", "action": "block"})),
            &format!("{B0}.blockId"),
        );
        breaks(
            &at(json!({"label": "a", "action": "block", "blockId": " "})),
            &format!("{B0}.blockId"),
        );
        breaks(
            &at(json!({"label": "a", "action": "block", "blockId": "b", "messageText": ""})),
            &format!("{B0}.messageText"),
        );
        breaks(
            &at(json!({"label": "a", "action": "block", "blockId": "b", "extra": ["x"]})),
            &format!("{B0}.extra"),
        );
    }

    #[test]
    fn os_link_buttons_need_at_least_one_non_empty_link() {
        let at =
            |os: Value| text_card_with_buttons(json!([{"label": "앱", "action": "osLink", "osLink": os}]));
        let path = format!("{B0}.osLink");
        passes(&at(json!({"pc": "https://example.com"})));
        breaks(&at(json!({})), &path);
        breaks(&at(json!("https://example.com")), &path);
        breaks(&at(json!({"android": ""})), &format!("{path}.android"));
        breaks(&at(json!({"ios": 1})), &format!("{path}.ios"));
        breaks(
            &text_card_with_buttons(json!([{"label": "a", "action": "osLink"}])),
            &path,
        );
    }

    // ----- thumbnail -------------------------------------------------------

    #[test]
    fn a_fixed_ratio_thumbnail_needs_positive_integer_width_and_height() {
        let path = "template.outputs[0].basicCard.thumbnail";
        let at = |t: Value| response(json!({"basicCard": {"thumbnail": t}}));
        passes(&at(json!({"imageUrl": IMG, "fixedRatio": false})));
        passes(&at(
            json!({"imageUrl": IMG, "fixedRatio": true, "width": 1, "height": 1}),
        ));
        breaks(
            &at(json!({"imageUrl": IMG, "fixedRatio": true, "height": 100})),
            &format!("{path}.width"),
        );
        breaks(
            &at(json!({"imageUrl": IMG, "fixedRatio": true, "width": 100})),
            &format!("{path}.height"),
        );
        breaks(
            &at(json!({"imageUrl": IMG, "fixedRatio": true, "width": 0, "height": 1})),
            &format!("{path}.width"),
        );
        breaks(
            &at(json!({"imageUrl": IMG, "fixedRatio": true, "width": 1, "height": 1.5})),
            &format!("{path}.height"),
        );
        breaks(
            &at(json!({"imageUrl": IMG, "fixedRatio": "yes"})),
            &format!("{path}.fixedRatio"),
        );
    }

    #[test]
    fn a_thumbnail_link_needs_a_valid_web_url() {
        let path = "template.outputs[0].basicCard.thumbnail.link";
        let at = |l: Value| response(json!({"basicCard": {"thumbnail": {"imageUrl": IMG, "link": l}}}));
        breaks(&at(json!({})), &format!("{path}.web"));
        breaks(
            &at(json!({"web": "https://ex ample.com"})),
            &format!("{path}.web"),
        );
        breaks(&at(json!("https://example.com")), path);
    }

    // ----- quick replies -----------------------------------------------------

    fn with_reply(reply: Value) -> Value {
        with(response(simple_text()), "/template/quickReplies", json!([reply]))
    }

    const Q0: &str = "template.quickReplies[0]";

    #[test]
    fn quick_reply_labels_are_non_blank_and_at_most_14_chars() {
        let at = |l: Value| with_reply(json!({"label": l, "action": "message", "messageText": "m"}));
        passes(&at(json!(korean(14))));
        breaks(&at(json!(korean(15))), &format!("{Q0}.label"));
        breaks(&at(json!("")), &format!("{Q0}.label"));
        breaks(
            &with_reply(json!({"action": "message", "messageText": "m"})),
            &format!("{Q0}.label"),
        );
    }

    #[test]
    fn quick_reply_actions_are_message_or_block_with_their_target() {
        breaks(
            &with_reply(json!({"label": "a", "action": "webLink", "webLinkUrl": IMG})),
            &format!("{Q0}.action"),
        );
        breaks(&with_reply(json!({"label": "a"})), &format!("{Q0}.action"));
        breaks(
            &with_reply(json!({"label": "a", "action": "message"})),
            &format!("{Q0}.messageText"),
        );
        breaks(
            &with_reply(json!({"label": "a", "action": "block"})),
            &format!("{Q0}.blockId"),
        );
        passes(&with_reply(
            json!({"label": "a", "action": "block", "blockId": "b"}),
        ));
        breaks(
            &with_reply(json!({"label": "a", "action": "block", "blockId": "b", "extra": 1})),
            &format!("{Q0}.extra"),
        );
        breaks(&with_reply(json!("처음으로")), Q0);
    }

    // ----- context -----------------------------------------------------------

    fn with_context_value(value: Value) -> Value {
        with(full_response(), "/context/values/0", value)
    }

    const C0: &str = "context.values[0]";

    #[test]
    fn context_needs_at_most_ten_values() {
        let value = json!({"name": "n", "lifeSpan": 1});
        passes(&with(
            full_response(),
            "/context/values",
            json!(vec![value.clone(); 10]),
        ));
        breaks(
            &with(full_response(), "/context/values", json!(vec![value; 11])),
            "context.values",
        );
        breaks(&with(full_response(), "/context", json!({})), "context.values");
    }

    #[test]
    fn context_value_names_are_non_blank_and_at_most_64_chars() {
        passes(&with_context_value(json!({"name": korean(64), "lifeSpan": 1})));
        breaks(
            &with_context_value(json!({"name": korean(65), "lifeSpan": 1})),
            &format!("{C0}.name"),
        );
        breaks(
            &with_context_value(json!({"name": " ", "lifeSpan": 1})),
            &format!("{C0}.name"),
        );
        breaks(&with_context_value(json!({"lifeSpan": 1})), &format!("{C0}.name"));
    }

    #[test]
    fn context_life_span_is_a_required_integer_from_0_to_100() {
        let at = |l: Value| with_context_value(json!({"name": "n", "lifeSpan": l}));
        let path = format!("{C0}.lifeSpan");
        passes(&at(json!(0)));
        passes(&at(json!(100)));
        breaks(&at(json!(101)), &path);
        breaks(&at(json!(-1)), &path);
        breaks(&at(json!(1.0)), &path);
        breaks(&with_context_value(json!({"name": "n"})), &path);
    }

    #[test]
    fn context_ttl_is_an_optional_integer_up_to_a_day() {
        let at = |t: Value| with_context_value(json!({"name": "n", "lifeSpan": 1, "ttl": t}));
        passes(&at(json!(86_400)));
        breaks(&at(json!(86_401)), &format!("{C0}.ttl"));
        breaks(&at(json!("600")), &format!("{C0}.ttl"));
    }

    #[test]
    fn context_params_map_names_to_strings() {
        let at = |p: Value| with_context_value(json!({"name": "n", "lifeSpan": 1, "params": p}));
        breaks(&at(json!({"k": 1})), &format!("{C0}.params.k"));
        breaks(&at(json!({"a b": null})), &format!("{C0}.params[\"a b\"]"));
        breaks(&at(json!(["k"])), &format!("{C0}.params"));
    }

    // ----- URLs ------------------------------------------------------------

    #[test]
    fn urls_need_http_or_https_a_host_and_no_whitespace() {
        let long_ok = format!("https://e.com/{}", "a".repeat(MAX_URL_CHARS - 14));
        let long_bad = format!("{long_ok}a");
        assert_eq!(long_ok.chars().count(), MAX_URL_CHARS);
        let korean_ok = format!("https://한국.kr/{}", korean(MAX_URL_CHARS - 14));
        let korean_bad = format!("{korean_ok}가");
        for good in [
            "http://a",
            "https://example.com/path?q=1#f",
            "https://user:pw@host:8080/x",
            "http://[::1]:80/",
            "https://host:/x",
            "https://example.com?x",
            long_ok.as_str(),
            korean_ok.as_str(),
        ] {
            assert_eq!(url_problem(good), None, "{good}");
        }
        for bad in [
            "",
            "example.com",
            "//example.com",
            "ftp://example.com",
            "HTTPS://example.com",
            "javascript:alert(1)",
            "https://",
            "https:///path",
            "https://?q",
            "https://:80/",
            "https://user@/x",
            "https://exa mple.com",
            "https://example.com/a b",
            "https://example.com/\n",
            "https://example.com/\u{7f}",
            "https://host:abc/",
            "https://[::1",
            "https://[::1]x/",
            "https://[]/",
            "https://a<b/",
            long_bad.as_str(),
            korean_bad.as_str(),
        ] {
            assert!(url_problem(bad).is_some(), "{bad:?} should be rejected");
        }
    }

    // ----- size ------------------------------------------------------------

    #[test]
    fn the_serialised_response_is_limited_to_30000_bytes() {
        let padded = |n: usize| {
            let mut v = response(simple_text());
            v["data"] = json!({"pad": ""});
            let base = serde_json::to_string(&v).expect("serialises").len();
            v["data"]["pad"] = json!("x".repeat(n - base));
            assert_eq!(serde_json::to_string(&v).expect("serialises").len(), n);
            v
        };
        passes(&padded(MAX_RESPONSE_BYTES));
        breaks(&padded(MAX_RESPONSE_BYTES + 1), "");
    }

    #[test]
    fn the_size_count_matches_serde_json_exactly() {
        let samples = [
            full_response(),
            json!(null),
            json!([
                true,
                false,
                null,
                0,
                -1,
                u64::MAX,
                i64::MIN,
                0.1,
                -0.0,
                1e300,
                2.5e-8
            ]),
            json!({"esc\"aped\\": "\u{0}\u{1f}\u{8}\u{9}\u{a}\u{c}\u{d}\"\\/\u{7f}"}),
            json!({"한국어": ["가나다", "😀", {}, [], ""]}),
            json!([[[[{"a": [{}]}]]]]),
        ];
        for v in samples {
            let expected = serde_json::to_string(&v).expect("serialises").len();
            assert_eq!(serialized_len(&v), expected, "{v}");
        }
    }

    // ----- validation response ---------------------------------------------

    #[test]
    fn validation_responses_with_a_known_status_pass() {
        let ok = |v: Value| assert_eq!(check_validation_response(&v), Ok(()), "{v}");
        ok(json!({"status": "SUCCESS", "value": "010-1234-5678", "data": {"k": "v"}}));
        ok(json!({"status": "FAIL", "message": "전화번호 형식이 아니에요"}));
        ok(json!({"status": "ERROR"}));
        ok(json!({"status": "SUCCESS", "value": "", "other": 1}));
    }

    #[test]
    fn validation_responses_are_checked_field_by_field() {
        let only_at = |v: Value, path: &str| {
            let found = check_validation_response(&v).expect_err("should fail");
            assert!(found.iter().all(|f| f.path == path), "{found:?} for {v}");
        };
        only_at(json!({}), "status");
        only_at(json!({"status": "OK"}), "status");
        only_at(json!({"status": "success"}), "status");
        only_at(json!({"status": 1}), "status");
        only_at(json!({"status": "SUCCESS", "value": 5}), "value");
        only_at(json!({"status": "SUCCESS", "data": []}), "data");
        only_at(json!({"status": "FAIL", "message": null}), "message");
        only_at(json!("SUCCESS"), "");
    }

    // ----- display -----------------------------------------------------------

    #[test]
    fn violations_display_as_path_then_problem() {
        let v = Violation {
            path: "template.outputs[0]".into(),
            problem: "bad".into(),
        };
        assert_eq!(v.to_string(), "template.outputs[0]: bad");
        let root = Violation {
            path: String::new(),
            problem: "bad".into(),
        };
        assert_eq!(root.to_string(), "(root): bad");
    }

    // ----- robustness ------------------------------------------------------

    #[test]
    fn odd_json_never_panics() {
        let odd = [
            Value::Null,
            json!(true),
            json!(1.5),
            json!("x"),
            json!([]),
            json!({}),
            json!({"version": null, "template": null, "useCallback": null, "context": null, "data": null}),
            json!({"version": "2.0", "template": {"outputs": null, "quickReplies": null}}),
            json!({"version": "2.0", "template": {"outputs": [null, 1, "s", [], {}, {"simpleText": null}]}}),
            json!({"version": "2.0", "template": {"outputs": [
                {"simpleText": [], "simpleImage": 1, "textCard": "t", "basicCard": null,
                 "commerceCard": {"price": [], "thumbnails": {}, "buttons": "b", "profile": 1},
                 "listCard": {"header": [], "items": [null, [], {"action": 1}], "buttons": [null]},
                 "itemCard": {"itemList": {}, "head": 1, "imageTitle": [], "itemListSummary": "s"},
                 "carousel": {"type": [], "items": {}, "header": 1}}]}}),
            json!({"version": "2.0", "template": {"outputs": [{"carousel": {"type": "basicCard",
                "items": [null, {"thumbnail": null, "buttons": [{"action": "osLink", "osLink": []}]}],
                "header": {"thumbnail": {"link": 1, "fixedRatio": true, "width": -1, "height": "1"}}}}]}}),
            json!({"version": "2.0", "useCallback": true, "context": {"values": [null, {"params": 1}]}}),
            json!({"version": "2.0", "useCallback": true, "context": {"values": {}}}),
            json!({"version": "2.0", "template": {"outputs": [], "quickReplies": [null, {"action": null}]}}),
        ];
        for v in odd {
            let _ = check_skill_response(&v);
            let _ = check_validation_response(&v);
        }
    }

    #[test]
    fn deeply_nested_garbage_never_panics() {
        const DEPTH: usize = 100_000;
        let mut deep = json!("bottom");
        for i in 0..DEPTH {
            // Built by hand: `json!` would deep-copy `deep` through `to_value`.
            deep = if i % 2 == 0 {
                Value::Array(vec![deep])
            } else {
                Value::Object(Map::from_iter([("simpleText".to_owned(), deep)]))
            };
        }
        let mut v = response(json!({"simpleText": {"text": "t"}}));
        v["template"]["outputs"][0]["simpleText"]["text"] = deep;
        let paths: Vec<String> = violations(&v).into_iter().map(|f| f.path).collect();
        assert_eq!(paths, ["template.outputs[0].simpleText.text", ""]);
        let _ = check_validation_response(&v);
        // Dismantle iteratively: the default recursive drop could overflow.
        let mut stack = vec![v];
        while let Some(mut node) = stack.pop() {
            match &mut node {
                Value::Array(items) => stack.append(items),
                Value::Object(map) => {
                    let keys: Vec<String> = map.keys().cloned().collect();
                    stack.extend(keys.iter().filter_map(|k| map.remove(k)));
                }
                _ => {}
            }
        }
    }

    /// Tiny deterministic PRNG (xorshift64*), so the crate needs no test deps.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next() % n as u64).unwrap_or(0)
        }
    }

    const KEYS: [&str; 40] = [
        "version",
        "template",
        "useCallback",
        "outputs",
        "quickReplies",
        "simpleText",
        "simpleImage",
        "textCard",
        "basicCard",
        "commerceCard",
        "listCard",
        "itemCard",
        "carousel",
        "type",
        "items",
        "header",
        "title",
        "description",
        "buttons",
        "label",
        "action",
        "thumbnail",
        "thumbnails",
        "imageUrl",
        "fixedRatio",
        "width",
        "height",
        "price",
        "profile",
        "itemList",
        "osLink",
        "blockId",
        "messageText",
        "webLinkUrl",
        "phoneNumber",
        "context",
        "values",
        "lifeSpan",
        "params",
        "link",
    ];
    const WORDS: [&str; 16] = [
        "2.0",
        "",
        " ",
        "가",
        "basicCard",
        "listCard",
        "itemCard",
        "textCard",
        "commerceCard",
        "block",
        "message",
        "webLink",
        "osLink",
        "phone",
        "https://e.com",
        "http://",
    ];

    fn garbage(rng: &mut Rng, depth: usize) -> Value {
        let pick = if depth == 0 { rng.below(5) } else { rng.below(8) };
        match pick {
            0 => Value::Null,
            1 => json!(rng.below(2) == 0),
            2 => match rng.below(3) {
                0 => json!(rng.below(200)),
                1 => json!(-(rng.below(5) as i64)),
                _ => json!(rng.below(100) as f64 / 3.0),
            },
            3 | 4 => json!(WORDS[rng.below(WORDS.len())]),
            5 => Value::Array((0..rng.below(5)).map(|_| garbage(rng, depth - 1)).collect()),
            _ => Value::Object(
                (0..rng.below(6))
                    .map(|_| (KEYS[rng.below(KEYS.len())].to_owned(), garbage(rng, depth - 1)))
                    .collect(),
            ),
        }
    }

    /// Replaces one randomly chosen node of `v` with garbage.
    fn mutate(rng: &mut Rng, v: &mut Value) {
        let mut node = v;
        loop {
            let children = match node {
                Value::Array(items) => items.len(),
                Value::Object(map) => map.len(),
                _ => 0,
            };
            if children == 0 || rng.below(4) == 0 {
                *node = garbage(rng, 3);
                return;
            }
            let i = rng.below(children);
            node = match node {
                Value::Array(items) => &mut items[i],
                Value::Object(map) => match map.values_mut().nth(i) {
                    Some(child) => child,
                    None => return,
                },
                _ => return,
            };
        }
    }

    #[test]
    fn random_garbage_and_mutated_valid_responses_never_panic() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..3_000 {
            let v = garbage(&mut rng, 6);
            let _ = check_skill_response(&v);
            let _ = check_validation_response(&v);
        }
        let valid = [
            full_response(),
            response(card("commerceCard", commerce_card_body())),
            response(card("listCard", list_card_body())),
            response(card("itemCard", item_card_body())),
            response(carousel("basicCard", vec![basic_card_body(); 3])),
            response(carousel("textCard", vec![text_card_body(); 3])),
        ];
        for _ in 0..3_000 {
            let mut v = valid[rng.below(valid.len())].clone();
            for _ in 0..=rng.below(3) {
                mutate(&mut rng, &mut v);
            }
            let _ = check_skill_response(&v);
        }
    }
}
