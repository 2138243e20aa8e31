//! Small value types that carry a Kakao limit in their type: bounded text, web URLs, block ids.
//!
//! Kakao silently drops a response that breaks any limit, so these types make the limits impossible to
//! break rather than checking them afterwards. Lengths count characters, not bytes: Korean text is three
//! bytes per syllable in UTF-8 and Kakao counts what the user sees.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// What a required text becomes when the caller hands us nothing visible: Kakao refuses empty strings.
const BLANK_PLACEHOLDER: &str = "-";
/// Appended when text is cut, so the reader sees that something is missing.
const ELLIPSIS: char = '…';

/// A non-blank text of at most `MAX` characters.
///
/// Longer input is cut at a character boundary and ends with `…`; blank input becomes `-`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Text<const MAX: usize>(String);

impl<const MAX: usize> Text<MAX> {
    /// Fits `input` into the limit (see the type's documentation).
    pub fn new(input: impl AsRef<str>) -> Self {
        Self(fit(input.as_ref(), MAX))
    }

    /// `None` for blank input, so optional fields are left out instead of showing a placeholder.
    pub fn optional(input: impl AsRef<str>) -> Option<Self> {
        let input = input.as_ref();
        (!input.trim().is_empty()).then(|| Self::new(input))
    }

    /// The same text under a (possibly stricter) limit, e.g. a card description moved into a carousel.
    pub fn refit<const N: usize>(&self) -> Text<N> {
        Text::new(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn char_count(&self) -> usize {
        self.0.chars().count()
    }
}

impl<const MAX: usize> fmt::Display for Text<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<const MAX: usize> From<&str> for Text<MAX> {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl<const MAX: usize> From<String> for Text<MAX> {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

/// Trims `input`, replaces blank with a placeholder, and cuts it to `max` characters with an ellipsis.
pub fn fit(input: &str, max: usize) -> String {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return BLANK_PLACEHOLDER.chars().take(max.max(1)).collect();
    }
    match trimmed.char_indices().nth(max) {
        None => trimmed.to_owned(),
        Some(_) if max == 0 => String::new(),
        Some(_) => {
            let keep = max - 1;
            let cut = trimmed.char_indices().nth(keep).map_or(trimmed.len(), |(i, _)| i);
            let mut out = String::with_capacity(cut + ELLIPSIS.len_utf8());
            out.push_str(trimmed[..cut].trim_end());
            out.push(ELLIPSIS);
            out
        }
    }
}

/// Kakao refuses URLs longer than this; ours are far shorter.
const MAX_URL_CHARS: usize = 1000;

/// An absolute `http(s)` URL with a host and no whitespace: what Kakao accepts for links and images.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct WebUrl(String);

/// The reason a string is not a [`WebUrl`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not an absolute http(s) URL Kakao accepts: {0}")]
pub struct BadUrl(&'static str);

impl WebUrl {
    pub fn parse(input: &str) -> Result<Self, BadUrl> {
        let rest = input
            .strip_prefix("https://")
            .or_else(|| input.strip_prefix("http://"))
            .ok_or(BadUrl("scheme must be http or https"))?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if host.is_empty() {
            return Err(BadUrl("missing host"));
        }
        if input.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(BadUrl("contains whitespace"));
        }
        if input.chars().count() > MAX_URL_CHARS {
            return Err(BadUrl("too long"));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WebUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The id Open Builder gave a block; a `block` button or quick reply jumps there.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct BlockId(String);

impl BlockId {
    /// `None` for blank or implausible ids (Open Builder's are short hex strings).
    pub fn new(id: &str) -> Option<Self> {
        let id = id.trim();
        let plausible = !id.is_empty()
            && id.len() <= 64
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        plausible.then(|| Self(id.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number for a `phone` button: digits with optional `+`, `-` and spaces.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PhoneDigits(String);

impl PhoneDigits {
    pub fn new(number: &str) -> Option<Self> {
        let number = number.trim();
        let valid = number.chars().any(|c| c.is_ascii_digit())
            && number.len() <= 30
            && number
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '));
        valid.then(|| Self(number.to_owned()))
    }
}

/// Longest key or value we put in an `extra`; they come back to us as `clientExtra`.
const MAX_EXTRA_CHARS: usize = 200;

/// What a button or quick reply carries back to the next skill call as `action.clientExtra`.
///
/// Only strings: that is all our skills read, and it keeps the round trip predictable.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Extra(BTreeMap<String, String>);

impl Extra {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key = value` (both cut to a sane length).
    pub fn with(mut self, key: &str, value: impl fmt::Display) -> Self {
        let key: String = key.chars().take(MAX_EXTRA_CHARS).collect();
        let value: String = value.to_string().chars().take(MAX_EXTRA_CHARS).collect();
        self.0.insert(key, value);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Every `key = value`, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_kept_as_it_is() {
        assert_eq!(Text::<5>::new("안녕").as_str(), "안녕");
    }

    #[test]
    fn korean_text_is_cut_by_characters_not_bytes() {
        let t = Text::<5>::new("가나다라마바사");
        assert_eq!(t.as_str(), "가나다라…");
        assert_eq!(t.char_count(), 5);
    }

    #[test]
    fn text_exactly_at_the_limit_is_not_cut() {
        assert_eq!(Text::<3>::new("가나다").as_str(), "가나다");
    }

    #[test]
    fn blank_text_becomes_a_placeholder_and_optional_blank_is_absent() {
        assert_eq!(Text::<10>::new("  ").as_str(), "-");
        assert!(Text::<10>::optional(" \n").is_none());
    }

    #[test]
    fn cut_text_does_not_end_in_a_space_before_the_ellipsis() {
        assert_eq!(Text::<4>::new("ab cdef").as_str(), "ab…");
    }

    #[test]
    fn web_urls_need_a_scheme_and_a_host() {
        assert!(WebUrl::parse("https://example.com/a.png").is_ok());
        assert!(WebUrl::parse("http://127.0.0.1:8080/x").is_ok());
        assert!(WebUrl::parse("ftp://example.com").is_err());
        assert!(WebUrl::parse("https:///path").is_err());
        assert!(WebUrl::parse("https://exa mple.com").is_err());
        assert!(WebUrl::parse("javascript:alert(1)").is_err());
    }

    #[test]
    fn block_ids_refuse_blank_and_odd_characters() {
        assert!(BlockId::new("5f1a2b3c4d").is_some());
        assert!(BlockId::new("").is_none());
        assert!(BlockId::new("a b").is_none());
    }
}
