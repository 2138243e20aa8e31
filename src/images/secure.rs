//! The value of Kakao's secure-image plugin (`sys.plugin.secureimage`).
//!
//! Kakao puts a JSON object *inside a string* in `action.params`, and its `secureUrls` is the text of a
//! Scala `List(...)`, not a JSON array:
//!
//! ```text
//! {"privacyAgreement":"Y","imageQuantity":"2",
//!  "secureUrls":"List(http://secure.kakaocdn.net/dna/a.jpg, http://secure.kakaocdn.net/dna/b.jpg)",
//!  "expire":"..."}
//! ```
//!
//! Parsing only extracts the URLs; whether they may be fetched is [`super::fetch`]'s decision (the value is
//! user-controlled and can name any host).

use serde_json::Value;

use crate::domain::Invalid;

/// Most photos one product may have: more would not fit one Kakao carousel (10 cards).
pub const MAX_IMAGES: usize = 10;

/// Longest value we look at; a real one with ten URLs is a few KB.
const MAX_VALUE_BYTES: usize = 64 * 1024;

const NOT_PLUGIN: &str = "사진 정보를 읽지 못했어요. 사진 올리기 버튼으로 다시 올려 주세요.";
const NO_CONSENT: &str =
    "개인정보 제공에 동의해야 사진을 등록할 수 있어요. 사진을 다시 올리면서 동의해 주세요.";
const NO_URLS: &str = "올린 사진이 없어요. 사진을 한 장 이상 골라 주세요.";

/// The photo URLs of a secure-image plugin value, in the user's order.
///
/// Refuses (with a Korean sentence for the user) a value that is not the plugin's, one where the user did
/// not agree to hand the photos over (`privacyAgreement` other than `"Y"`: without consent we must not
/// process them), one without photos and one with more than [`MAX_IMAGES`]. Tolerates spaces, a single URL
/// without `List( )`, a real JSON array, `imageQuantity` as a number or a string (it is not trusted: the
/// URLs are counted) and a missing `expire`.
pub fn parse_secure_images(value: &str) -> Result<Vec<String>, Invalid> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(Invalid::new(NOT_PLUGIN));
    }
    let mut parsed: Value = serde_json::from_str(value.trim()).map_err(|_| Invalid::new(NOT_PLUGIN))?;
    // Tolerate one more level of string encoding (a value passed through one more JSON layer).
    if let Value::String(inner) = &parsed {
        parsed = serde_json::from_str(inner.trim()).map_err(|_| Invalid::new(NOT_PLUGIN))?;
    }
    let Value::Object(fields) = parsed else {
        return Err(Invalid::new(NOT_PLUGIN));
    };
    if !fields.contains_key("secureUrls") && !fields.contains_key("privacyAgreement") {
        return Err(Invalid::new(NOT_PLUGIN));
    }
    let agreed = fields
        .get("privacyAgreement")
        .and_then(Value::as_str)
        .is_some_and(|a| a.trim().eq_ignore_ascii_case("y"));
    if !agreed {
        return Err(Invalid::new(NO_CONSENT));
    }
    let urls = match fields.get("secureUrls") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(list)) => split_list(list),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(|s| s.trim().to_owned()))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| Invalid::new(NOT_PLUGIN))?,
        _ => return Err(Invalid::new(NOT_PLUGIN)),
    };
    let urls: Vec<String> = urls.into_iter().filter(|u| !u.is_empty()).collect();
    if urls.is_empty() {
        return Err(Invalid::new(NO_URLS));
    }
    if urls.len() > MAX_IMAGES {
        return Err(Invalid::new(format!(
            "사진은 한 상품에 {MAX_IMAGES}장까지 올릴 수 있어요. {}장 중 {MAX_IMAGES}장 이하로 골라 다시 올려 주세요.",
            urls.len()
        )));
    }
    if !urls.iter().all(|u| looks_like_url(u)) {
        return Err(Invalid::new(NOT_PLUGIN));
    }
    Ok(urls)
}

/// `List(a, b)` or `a` → `[a, b]` / `[a]`. A comma splits only where the next item starts a new URL, so a
/// comma inside a URL's query stays in it.
fn split_list(list: &str) -> Vec<String> {
    let list = list.trim();
    let inner = list
        .strip_prefix("List(")
        .or_else(|| list.strip_prefix("list("))
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or(list);
    let mut urls: Vec<String> = Vec::new();
    for piece in inner.split(',') {
        let trimmed = piece.trim();
        match urls.last_mut() {
            Some(previous) if !starts_url(trimmed) && !trimmed.is_empty() => {
                previous.push(',');
                previous.push_str(piece.trim_end());
            }
            _ => urls.push(trimmed.to_owned()),
        }
    }
    urls
}

fn starts_url(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

fn looks_like_url(s: &str) -> bool {
    starts_url(s) && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commas_inside_a_url_stay_in_it() {
        assert_eq!(
            split_list("List(http://a/x?b=1,2, https://c/d)"),
            ["http://a/x?b=1,2", "https://c/d"]
        );
    }

    #[test]
    fn odd_input_never_panics() {
        for v in [
            "",
            "{",
            "\"",
            "List(",
            "[]",
            "null",
            "{\"secureUrls\":1}",
            "\"\\\"{\\\"\"",
            "한글",
        ] {
            assert!(parse_secure_images(v).is_err(), "{v}");
        }
    }
}
