//! What Kakao's bot engine posts to a skill: the `SkillPayload`, and the smaller validation payload.
//!
//! Parsing is tolerant where Kakao varies and strict where we depend on a value:
//! unknown fields are ignored, optional objects may be missing or `null`, parameter values may arrive as
//! numbers or booleans (they are read as text), but `userRequest.user.id` — who is talking — must be there.

use std::collections::HashMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// The longest botUserKey Kakao documents; longer ids are not Kakao's.
pub const USER_ID_MAX: usize = 70;

/// A skill call.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkillPayload {
    #[serde(default, deserialize_with = "nullable")]
    pub intent: Named,
    pub user_request: UserRequest,
    #[serde(default, deserialize_with = "nullable")]
    pub bot: Named,
    #[serde(default, deserialize_with = "nullable")]
    pub action: Action,
    #[serde(default, deserialize_with = "nullable")]
    pub contexts: Vec<Context>,
}

/// Something Kakao names by id and name (intent, bot, block).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Named {
    #[serde(default, deserialize_with = "lenient_string")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRequest {
    #[serde(default, deserialize_with = "lenient_string")]
    pub timezone: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub utterance: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub lang: String,
    #[serde(default, deserialize_with = "nullable")]
    pub block: Named,
    #[serde(default, deserialize_with = "lenient_option")]
    pub callback_url: Option<String>,
    pub user: User,
}

/// The person talking to the bot.
#[derive(Clone, Debug, Deserialize)]
pub struct User {
    /// The botUserKey: always present, stable per bot. Our members are keyed on it.
    #[serde(deserialize_with = "lenient_string")]
    pub id: String,
    #[serde(default, rename = "type", deserialize_with = "lenient_string")]
    pub kind: String,
    #[serde(default, deserialize_with = "nullable")]
    pub properties: UserProperties,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserProperties {
    /// Present only when the user is linked to the channel.
    #[serde(default, deserialize_with = "lenient_option")]
    pub plusfriend_user_key: Option<String>,
    #[serde(default, deserialize_with = "lenient_option")]
    pub app_user_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub is_friend: Option<bool>,
}

/// The skill being run and what the user supplied to it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    #[serde(default, deserialize_with = "lenient_string")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: String,
    /// Block parameters, each read as text.
    #[serde(default, deserialize_with = "string_map")]
    pub params: HashMap<String, String>,
    #[serde(default, deserialize_with = "nullable")]
    pub detail_params: HashMap<String, DetailParam>,
    /// What the tapped button or quick reply put in `extra`. User-controllable: validate like input.
    #[serde(default, deserialize_with = "string_map")]
    pub client_extra: HashMap<String, String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DetailParam {
    #[serde(default, deserialize_with = "lenient_string")]
    pub origin: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub value: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub group_name: String,
}

/// A context alive in this conversation, with its parameters.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Context {
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: String,
    #[serde(default, deserialize_with = "lenient_u32")]
    pub lifespan: Option<u32>,
    #[serde(default, deserialize_with = "lenient_u32")]
    pub ttl: Option<u32>,
    #[serde(default, deserialize_with = "nullable")]
    pub params: HashMap<String, ContextParam>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextParam {
    #[serde(default, deserialize_with = "lenient_string")]
    pub value: String,
    #[serde(default, deserialize_with = "lenient_option")]
    pub resolved_value: Option<String>,
}

impl SkillPayload {
    /// Parses a request body. Errors mean the body is not a skill call at all.
    pub fn from_slice(body: &[u8]) -> Result<Self, PayloadError> {
        let payload: Self = parse_without_nul(body)?;
        let id = payload.user_request.user.id.trim();
        if id.is_empty() {
            return Err(PayloadError::MissingUser);
        }
        if id.chars().count() > USER_ID_MAX {
            return Err(PayloadError::UserIdTooLong);
        }
        Ok(payload)
    }

    /// The botUserKey of the caller.
    pub fn user_id(&self) -> &str {
        self.user_request.user.id.trim()
    }

    pub fn plusfriend_user_key(&self) -> Option<&str> {
        self.user_request
            .user
            .properties
            .plusfriend_user_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
    }

    /// A block parameter, trimmed; `None` when absent or blank. Falls back to `detailParams.*.origin`.
    pub fn param(&self, name: &str) -> Option<&str> {
        let direct = self.action.params.get(name).map(String::as_str);
        let detail = || self.action.detail_params.get(name).map(|d| d.origin.as_str());
        direct.or_else(detail).map(str::trim).filter(|v| !v.is_empty())
    }

    /// A `clientExtra` value, trimmed; `None` when absent or blank.
    pub fn extra(&self, key: &str) -> Option<&str> {
        self.action
            .client_extra
            .get(key)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// A parameter of a live context (its resolved value when Kakao resolved one).
    pub fn context_param(&self, context: &str, key: &str) -> Option<&str> {
        let ctx = self.contexts.iter().find(|c| c.name == context)?;
        let param = ctx.params.get(key)?;
        Some(param.resolved_value.as_deref().unwrap_or(&param.value))
    }

    /// The bot id with the development channel's trailing `!` removed.
    pub fn bot_id(&self) -> &str {
        self.bot.id.trim().trim_end_matches('!')
    }
}

/// Why a body is not a skill call.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("malformed skill payload: {0}")]
    Json(serde_json::Error),
    #[error("skill payload has no userRequest.user.id")]
    MissingUser,
    #[error("userRequest.user.id is longer than Kakao's ids")]
    UserIdTooLong,
}

/// A parameter-validation call: `{"isInSlotFilling":…, "utterance":…, "value":{"origin":…,"resolved":…}, "user":{…}}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationPayload {
    #[serde(default, deserialize_with = "lenient_bool")]
    pub is_in_slot_filling: Option<bool>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub utterance: String,
    #[serde(default, deserialize_with = "nullable")]
    pub value: ValidationValue,
    #[serde(default, deserialize_with = "nullable")]
    pub user: Option<Value>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ValidationValue {
    #[serde(default, deserialize_with = "lenient_string")]
    pub origin: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub resolved: String,
}

impl ValidationPayload {
    pub fn from_slice(body: &[u8]) -> Result<Self, PayloadError> {
        parse_without_nul(body)
    }

    /// What the user typed: the raw origin (resolution may have dropped characters we want to judge).
    pub fn input(&self) -> &str {
        [&self.value.origin, &self.value.resolved, &self.utterance]
            .into_iter()
            .map(|s| s.trim())
            .find(|s| !s.is_empty())
            .unwrap_or("")
    }
}

/// Parses `body` as `T` with every NUL character dropped from its strings (keys included).
///
/// In JSON a NUL can only be written as the escape `\u0000` (a raw NUL byte is not valid inside a
/// string), so a body without that text parses directly; only a body that has it takes the slower path
/// through a `Value`.
fn parse_without_nul<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, PayloadError> {
    const ESCAPE: &[u8] = b"\\u0000";
    if !body.windows(ESCAPE.len()).any(|w| w.eq_ignore_ascii_case(ESCAPE)) {
        return serde_json::from_slice(body).map_err(PayloadError::Json);
    }
    let mut value: Value = serde_json::from_slice(body).map_err(PayloadError::Json)?;
    drop_nul(&mut value);
    serde_json::from_value(value).map_err(PayloadError::Json)
}

fn drop_nul(value: &mut Value) {
    match value {
        Value::String(s) => s.retain(|c| c != '\0'),
        Value::Array(items) => items.iter_mut().for_each(drop_nul),
        Value::Object(map) => {
            let entries = std::mem::take(map);
            for (mut key, mut item) in entries {
                key.retain(|c| c != '\0');
                drop_nul(&mut item);
                map.insert(key, item);
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Lenient field readers: Kakao and hand-written test payloads disagree on types in places.

/// A missing or `null` value becomes the type's default.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Strings as they are; numbers and booleans as their text; objects and arrays as JSON text.
fn value_to_string(v: Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

fn lenient_option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(value_to_string(Value::deserialize(d)?))
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(lenient_option(d)?.unwrap_or_default())
}

fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => Some(b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "y" | "yes" => Some(true),
            "false" | "0" | "n" | "no" => Some(false),
            _ => None,
        },
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        _ => None,
    })
}

fn lenient_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

fn string_map<'de, D: Deserializer<'de>>(d: D) -> Result<HashMap<String, String>, D::Error> {
    let map = Option::<serde_json::Map<String, Value>>::deserialize(d)?.unwrap_or_default();
    Ok(map
        .into_iter()
        .filter_map(|(k, v)| value_to_string(v).map(|v| (k, v)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_payload_with_only_a_user_id_parses() {
        let p = SkillPayload::from_slice(br#"{"userRequest":{"user":{"id":"abc"}}}"#).unwrap();
        assert_eq!(p.user_id(), "abc");
        assert!(p.plusfriend_user_key().is_none());
        assert!(p.param("x").is_none());
        assert!(p.extra("x").is_none());
    }

    #[test]
    fn numbers_and_nulls_in_params_are_tolerated() {
        let body = br#"{"userRequest":{"user":{"id":"u","properties":{"isFriend":"true"}}},
            "action":{"params":{"price":12000,"flag":true,"gone":null},"clientExtra":null},
            "contexts":null,"bot":{"id":"b1!"}}"#;
        let p = SkillPayload::from_slice(body).unwrap();
        assert_eq!(p.param("price"), Some("12000"));
        assert_eq!(p.param("flag"), Some("true"));
        assert_eq!(p.param("gone"), None);
        assert_eq!(p.bot_id(), "b1");
        assert_eq!(p.user_request.user.properties.is_friend, Some(true));
    }

    #[test]
    fn a_payload_without_a_user_is_refused() {
        assert!(SkillPayload::from_slice(br#"{"userRequest":{"user":{"id":"  "}}}"#).is_err());
        assert!(SkillPayload::from_slice(br#"{"userRequest":{}}"#).is_err());
        assert!(SkillPayload::from_slice(b"not json").is_err());
    }

    #[test]
    fn validation_payload_prefers_the_raw_origin() {
        let p = ValidationPayload::from_slice(
            br#"{"isInSlotFilling":true,"utterance":"u","value":{"origin":" 010-1234-5678 ","resolved":"01012345678"}}"#,
        )
        .unwrap();
        assert_eq!(p.input(), "010-1234-5678");
    }
}
