//! How a call to Kakao Pay can fail, sorted by what the caller must do next.

use std::fmt;

/// Why a Kakao Pay call did not return its answer. See the [module docs](super) for the rules.
///
/// | variant | did it happen at Kakao? | what to do |
/// |---|---|---|
/// | [`Rejected`](Self::Rejected) | no — Kakao said no | record the refusal; do not retry as is |
/// | [`InvalidRequest`](Self::InvalidRequest) | no — nothing was sent | a bug on our side: fix the caller |
/// | [`Unavailable`](Self::Unavailable) | no — Kakao never acted | retry later (same request) |
/// | [`Ambiguous`](Self::Ambiguous) | **unknown** | ask `order` for the `tid` and trust its `status`; never guess |
///
/// No variant ever contains the secret key (anything Kakao echoes is scrubbed).
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayError {
    /// Kakao answered 4xx (other than 408/429): a definitive "no". Nothing happened.
    ///
    /// Caveat: after an earlier [`Ambiguous`](Self::Ambiguous) approve or cancel on the same `tid`, a
    /// refusal of the retry ("already approved") says nothing about the payment — ask `order`.
    #[error("{}", rejected_text(*status, *error_code, message, method_result_code, method_result_message))]
    Rejected {
        /// The HTTP status (401 for a wrong secret key, 400 for most refusals).
        status: u16,
        /// Kakao's `error_code` (negative, e.g. -780), absent when the body was not Kakao's.
        error_code: Option<i64>,
        /// Kakao's `error_message`, or the start of a non-Kakao body.
        message: String,
        /// `extras.method_result_code`: the card company's or wallet's reason, when Kakao gives one.
        method_result_code: Option<String>,
        /// `extras.method_result_message`.
        method_result_message: Option<String>,
    },
    /// Kakao could not be reached, or said it was unable to act (see the module docs for which answers
    /// count). Nothing happened; the same call may be retried later.
    #[error("Kakao Pay unavailable: {0}")]
    Unavailable(String),
    /// The request may or may not have taken effect: a timeout or lost connection after it was sent, an
    /// unreadable success answer, or a server error from `approve`/`cancel`. Settle with `order`.
    #[error("Kakao Pay outcome unknown: {0}")]
    Ambiguous(String),
    /// The request breaks a documented limit; it was not sent. A programming error.
    #[error("invalid Kakao Pay request: {0}")]
    InvalidRequest(String),
}

fn rejected_text(
    status: u16,
    error_code: Option<i64>,
    message: &str,
    method_result_code: &Option<String>,
    method_result_message: &Option<String>,
) -> String {
    let mut text = format!("Kakao Pay refused (HTTP {status}");
    if let Some(code) = error_code {
        text.push_str(&format!(", error_code {code}"));
    }
    text.push_str(&format!("): {message}"));
    if let Some(code) = method_result_code {
        text.push_str(&format!(" [{code}"));
        if let Some(m) = method_result_message {
            text.push_str(&format!(": {m}"));
        }
        text.push(']');
    }
    text
}

impl fmt::Debug for PayError {
    /// The same as `Display` inside the variant's name: nothing here is secret (scrubbed at creation).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::Rejected { .. } => "Rejected",
            Self::Unavailable(_) => "Unavailable",
            Self::Ambiguous(_) => "Ambiguous",
            Self::InvalidRequest(_) => "InvalidRequest",
        };
        write!(f, "PayError::{name}({self})")
    }
}

impl PayError {
    /// Kakao certainly did not act and would refuse the same request again: `Rejected` or
    /// `InvalidRequest`. The caller may record a final failure.
    pub fn is_definitive(&self) -> bool {
        matches!(self, Self::Rejected { .. } | Self::InvalidRequest(_))
    }

    /// Kakao certainly did not act, but may later: `Unavailable`. The same call can be retried.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }

    /// The outcome is unknown: `Ambiguous`. Ask `order`; never record success or failure on this alone.
    pub fn is_ambiguous(&self) -> bool {
        matches!(self, Self::Ambiguous(_))
    }

    /// Kakao's `error_code` of a refusal.
    pub fn error_code(&self) -> Option<i64> {
        match self {
            Self::Rejected { error_code, .. } => *error_code,
            _ => None,
        }
    }

    /// The HTTP status of a refusal.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Rejected { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// `extras.method_result_code` of a refusal.
    pub fn method_result_code(&self) -> Option<&str> {
        match self {
            Self::Rejected {
                method_result_code, ..
            } => method_result_code.as_deref(),
            _ => None,
        }
    }
}
