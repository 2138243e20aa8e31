//! The answer of a parameter-validation skill, called by Open Builder while it fills a slot.
//!
//! Validation at slot-filling time only helps the user type the right thing; the final skill checks every
//! rule again with the same parser.

use serde::Serialize;

use super::text::Text;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ValidationStatus {
    Success,
    Fail,
    Error,
}

/// `{"status": ..., "value": ..., "message": ...}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ValidationResponse {
    status: ValidationStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text<400>>,
    data: serde_json::Map<String, serde_json::Value>,
}

impl ValidationResponse {
    /// Accepted; Open Builder stores `normalised` as the slot's value.
    pub fn success(normalised: impl Into<String>) -> Self {
        Self {
            status: ValidationStatus::Success,
            value: Some(normalised.into()),
            message: None,
            data: serde_json::Map::new(),
        }
    }

    /// Refused; `message` is shown and the user is asked again.
    pub fn fail(message: impl AsRef<str>) -> Self {
        Self {
            status: ValidationStatus::Fail,
            value: None,
            message: Some(Text::new(message)),
            data: serde_json::Map::new(),
        }
    }

    /// We could not decide (our fault, not the user's).
    pub fn error(message: impl AsRef<str>) -> Self {
        Self {
            status: ValidationStatus::Error,
            value: None,
            message: Some(Text::new(message)),
            data: serde_json::Map::new(),
        }
    }

    pub fn status(&self) -> ValidationStatus {
        self.status
    }

    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
}
