//! What goes over the wire: the typed requests (checked before sending), the typed answers (lenient:
//! unknown fields ignored, informational fields defaulted) and the payment status of `order`.
//!
//! Field names are Kakao's own (`snake_case` on the wire and in Rust). The merchant id `cid` is not a
//! request field here: the client adds the one from [`KakaoPaySettings`](super::KakaoPaySettings) to
//! every call. Money is integer KRW in `i64`, like everywhere else in the crate.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::PayError;

/// Most characters in `partner_order_id`, `partner_user_id`, `item_name` and `item_code`.
pub const MAX_ID_CHARS: usize = 100;
/// Most characters in `approval_url`, `cancel_url` and `fail_url`.
pub const MAX_URL_CHARS: usize = 255;
/// Most characters accepted in a `tid` or `pg_token` we send back (Kakao's tids are 20 characters; a
/// looser bound here keeps a format change on Kakao's side from breaking payments).
pub const MAX_TOKEN_CHARS: usize = 100;

// ---------------------------------------------------------------------------------------------
// Requests

/// `ready`: ask Kakao Pay to prepare a payment. Kakao answers a `tid` and the pages to send the buyer to.
///
/// Limits checked by [`KakaoPay::ready`](super::KakaoPay::ready) before anything is sent:
/// `partner_order_id`, `partner_user_id`, `item_name` (and `item_code`) 1–100 characters; `quantity` ≥ 1;
/// `total_amount` > 0; 0 ≤ `tax_free_amount` ≤ `total_amount`; 0 ≤ `vat_amount` ≤ `total_amount`;
/// each URL an absolute `http(s)` URL of at most 255 characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct ReadyRequest {
    /// Our order id. Kakao echoes it; `approve` must repeat it exactly.
    pub partner_order_id: String,
    /// Our id for the buyer — opaque, never a name or phone number. `approve` must repeat it exactly.
    pub partner_user_id: String,
    /// Shown to the buyer on Kakao's payment page.
    pub item_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_code: Option<String>,
    pub quantity: u32,
    pub total_amount: i64,
    pub tax_free_amount: i64,
    /// Omitted: Kakao computes it as (total − tax free) / 11.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_amount: Option<i64>,
    /// Where Kakao sends the buyer's browser on success, with `?pg_token=…` appended.
    pub approval_url: String,
    /// Where Kakao sends the buyer who gave up. Anyone can open it: confirm with `order` before acting.
    pub cancel_url: String,
    /// Where Kakao sends the buyer whose payment failed. Anyone can open it: confirm with `order`.
    pub fail_url: String,
    /// Restrict the buyer to one method; `None` lets them choose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method_type: Option<PaymentMethod>,
    /// Card instalment months (0–12); `None` lets the buyer choose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub install_month: Option<u8>,
}

/// `approve`: take the money, after the buyer authenticated and Kakao redirected to `approval_url`.
///
/// Approve at most once per order (under a database guard): a second approve on the same `tid` is
/// refused by Kakao, and a refusal after an earlier unanswered approve says nothing about the payment —
/// ask `order` instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct ApproveRequest {
    pub tid: String,
    /// Must equal ready's.
    pub partner_order_id: String,
    /// Must equal ready's.
    pub partner_user_id: String,
    /// From the `pg_token` query parameter of the `approval_url` hit.
    pub pg_token: String,
    /// When set, Kakao refuses unless it equals ready's `total_amount` — always set it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<i64>,
}

/// `cancel`: refund all or part of an approved payment.
///
/// Checked before sending: `cancel_amount` > 0; 0 ≤ `cancel_tax_free_amount` ≤ `cancel_amount`;
/// `cancel_vat_amount` and `cancel_available_amount`, when set, ≥ 0.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct CancelRequest {
    pub tid: String,
    pub cancel_amount: i64,
    pub cancel_tax_free_amount: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_vat_amount: Option<i64>,
    /// What we believe is still refundable; Kakao refuses the cancel if it disagrees (guards against
    /// refunding twice after a lost answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_available_amount: Option<i64>,
}

impl CancelRequest {
    /// A full refund of an approval of `total` won, `tax_free` of it tax-free.
    pub fn full(tid: impl Into<String>, total: i64, tax_free: i64) -> Self {
        Self {
            tid: tid.into(),
            cancel_amount: total,
            cancel_tax_free_amount: tax_free,
            cancel_vat_amount: None,
            cancel_available_amount: Some(total),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Validation (before sending: a violation is a bug in the caller, never Kakao's business)

fn invalid(message: String) -> PayError {
    PayError::InvalidRequest(message)
}

fn check_text(field: &str, value: &str, max: usize) -> Result<(), PayError> {
    let chars = value.chars().count();
    if value.trim().is_empty() {
        return Err(invalid(format!("{field} is empty")));
    }
    if chars > max {
        return Err(invalid(format!("{field} has {chars} characters (at most {max})")));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(format!("{field} contains a control character")));
    }
    Ok(())
}

fn check_url(field: &str, value: &str) -> Result<(), PayError> {
    let chars = value.chars().count();
    if chars > MAX_URL_CHARS {
        return Err(invalid(format!(
            "{field} has {chars} characters (at most {MAX_URL_CHARS})"
        )));
    }
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(()),
        _ => Err(invalid(format!("{field} is not an absolute http(s) URL"))),
    }
}

fn check_positive(field: &str, value: i64) -> Result<(), PayError> {
    if value <= 0 {
        return Err(invalid(format!("{field} must be more than 0 (got {value})")));
    }
    Ok(())
}

fn check_part(field: &str, value: i64, whole_field: &str, whole: i64) -> Result<(), PayError> {
    if !(0..=whole).contains(&value) {
        return Err(invalid(format!(
            "{field} must be between 0 and {whole_field} ({whole}), got {value}"
        )));
    }
    Ok(())
}

impl ReadyRequest {
    /// Checks Kakao's documented limits; a failure is [`PayError::InvalidRequest`].
    pub fn validate(&self) -> Result<(), PayError> {
        check_text("partner_order_id", &self.partner_order_id, MAX_ID_CHARS)?;
        check_text("partner_user_id", &self.partner_user_id, MAX_ID_CHARS)?;
        check_text("item_name", &self.item_name, MAX_ID_CHARS)?;
        if let Some(code) = &self.item_code {
            check_text("item_code", code, MAX_ID_CHARS)?;
        }
        if self.quantity == 0 {
            return Err(invalid("quantity must be at least 1".into()));
        }
        check_positive("total_amount", self.total_amount)?;
        check_part(
            "tax_free_amount",
            self.tax_free_amount,
            "total_amount",
            self.total_amount,
        )?;
        if let Some(vat) = self.vat_amount {
            check_part("vat_amount", vat, "total_amount", self.total_amount)?;
        }
        check_url("approval_url", &self.approval_url)?;
        check_url("cancel_url", &self.cancel_url)?;
        check_url("fail_url", &self.fail_url)?;
        if let Some(months) = self.install_month
            && months > 12
        {
            return Err(invalid(format!("install_month must be 0–12, got {months}")));
        }
        Ok(())
    }
}

impl ApproveRequest {
    /// Checks the fields are present and of sane length; a failure is [`PayError::InvalidRequest`].
    pub fn validate(&self) -> Result<(), PayError> {
        check_text("tid", &self.tid, MAX_TOKEN_CHARS)?;
        check_text("partner_order_id", &self.partner_order_id, MAX_ID_CHARS)?;
        check_text("partner_user_id", &self.partner_user_id, MAX_ID_CHARS)?;
        check_text("pg_token", &self.pg_token, MAX_TOKEN_CHARS)?;
        if let Some(total) = self.total_amount {
            check_positive("total_amount", total)?;
        }
        Ok(())
    }
}

impl CancelRequest {
    /// Checks the amounts; a failure is [`PayError::InvalidRequest`].
    pub fn validate(&self) -> Result<(), PayError> {
        check_text("tid", &self.tid, MAX_TOKEN_CHARS)?;
        check_positive("cancel_amount", self.cancel_amount)?;
        check_part(
            "cancel_tax_free_amount",
            self.cancel_tax_free_amount,
            "cancel_amount",
            self.cancel_amount,
        )?;
        if let Some(vat) = self.cancel_vat_amount {
            check_part("cancel_vat_amount", vat, "cancel_amount", self.cancel_amount)?;
        }
        if let Some(available) = self.cancel_available_amount
            && available < 0
        {
            return Err(invalid(format!(
                "cancel_available_amount must not be negative, got {available}"
            )));
        }
        Ok(())
    }
}

pub(super) fn validate_tid(tid: &str) -> Result<(), PayError> {
    check_text("tid", tid, MAX_TOKEN_CHARS)
}

// ---------------------------------------------------------------------------------------------
// Answers

/// `ready`'s answer. Keep `tid` with the order before redirecting the buyer.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ReadyResponse {
    /// Kakao's payment id (20 characters), needed by `approve`, `cancel` and `order`.
    pub tid: String,
    /// The payment page for a buyer inside the KakaoTalk app (see [`redirect_for`](super::redirect_for)).
    pub next_redirect_app_url: String,
    /// The payment page for a buyer in a mobile browser.
    pub next_redirect_mobile_url: String,
    /// The payment page for a buyer on a PC (a QR code to scan with the phone).
    pub next_redirect_pc_url: String,
    #[serde(default)]
    pub android_app_scheme: Option<String>,
    #[serde(default)]
    pub ios_app_scheme: Option<String>,
    /// Kakao's local time (KST) without offset, e.g. `2024-01-02T03:04:05`.
    #[serde(default)]
    pub created_at: Option<String>,
}

/// `approve`'s answer: the money is taken.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Approval {
    /// This request's id (one payment has one `tid`, each approve/cancel its own `aid`).
    pub aid: String,
    pub tid: String,
    #[serde(default)]
    pub cid: String,
    #[serde(default)]
    pub partner_order_id: String,
    #[serde(default)]
    pub partner_user_id: String,
    #[serde(default)]
    pub payment_method_type: Option<PaymentMethod>,
    pub amount: Amount,
    /// Card details when paid by card, as Kakao sent them (informational only).
    #[serde(default)]
    pub card_info: Option<serde_json::Value>,
    #[serde(default)]
    pub item_name: Option<String>,
    #[serde(default)]
    pub item_code: Option<String>,
    #[serde(default)]
    pub quantity: Option<u32>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub approved_at: Option<String>,
    #[serde(default)]
    pub payload: Option<String>,
}

/// `cancel`'s answer: the refund is done.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Cancellation {
    #[serde(default)]
    pub aid: String,
    pub tid: String,
    #[serde(default)]
    pub cid: String,
    /// `CANCEL_PAYMENT` after a full refund, `PART_CANCEL_PAYMENT` after a partial one.
    pub status: PaymentState,
    #[serde(default)]
    pub partner_order_id: String,
    #[serde(default)]
    pub partner_user_id: String,
    #[serde(default)]
    pub payment_method_type: Option<PaymentMethod>,
    /// The original payment.
    #[serde(default)]
    pub amount: Amount,
    /// Refunded by this request.
    #[serde(default)]
    pub approved_cancel_amount: Amount,
    /// Refunded so far, this request included.
    #[serde(default)]
    pub canceled_amount: Amount,
    /// Still refundable.
    #[serde(default)]
    pub cancel_available_amount: Amount,
    #[serde(default)]
    pub item_name: Option<String>,
    #[serde(default)]
    pub quantity: Option<u32>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub approved_at: Option<String>,
    #[serde(default)]
    pub canceled_at: Option<String>,
}

/// `order`'s answer: where a payment stands. Check `partner_order_id` too before acting on `status`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct OrderStatus {
    pub tid: String,
    #[serde(default)]
    pub cid: String,
    pub status: PaymentState,
    #[serde(default)]
    pub partner_order_id: String,
    #[serde(default)]
    pub partner_user_id: String,
    #[serde(default)]
    pub payment_method_type: Option<PaymentMethod>,
    /// Absent before approval.
    #[serde(default)]
    pub amount: Option<Amount>,
    #[serde(default)]
    pub canceled_amount: Option<Amount>,
    #[serde(default)]
    pub cancel_available_amount: Option<Amount>,
    #[serde(default)]
    pub item_name: Option<String>,
    #[serde(default)]
    pub item_code: Option<String>,
    #[serde(default)]
    pub quantity: Option<u32>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub approved_at: Option<String>,
    #[serde(default)]
    pub canceled_at: Option<String>,
}

/// Kakao's `amount` object (also used for cancelled and still-cancellable amounts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Amount {
    pub total: i64,
    pub tax_free: i64,
    pub vat: i64,
    /// Paid with Kakao Pay points.
    pub point: i64,
    pub discount: i64,
    /// Cup deposit (컵 보증금).
    pub green_deposit: i64,
}

/// How the buyer paid (`payment_method_type`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PaymentMethod {
    Card,
    Money,
    /// A value this code does not know; kept as sent.
    Other(String),
}

impl PaymentMethod {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Card => "CARD",
            Self::Money => "MONEY",
            Self::Other(s) => s,
        }
    }
}

impl Serialize for PaymentMethod {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PaymentMethod {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Ok(match s.as_str() {
            "CARD" => Self::Card,
            "MONEY" => Self::Money,
            _ => Self::Other(s),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Payment state

/// A payment's `status` as `order` (and `cancel`) report it.
///
/// The four helpers are mutually exclusive; [`PaymentState::Unknown`] answers `false` to all of them, so
/// a caller meeting a status this code does not know does nothing and alerts a human.
///
/// | helper | statuses |
/// |---|---|
/// | [`is_in_progress`](Self::is_in_progress) | READY, SEND_TMS, OPEN_PAYMENT, SELECT_METHOD, ARS_WAITING, AUTH_PASSWORD, ISSUED_SID, FAIL_AUTH_PASSWORD |
/// | [`is_paid`](Self::is_paid) | SUCCESS_PAYMENT, PART_CANCEL_PAYMENT |
/// | [`is_cancelled`](Self::is_cancelled) | CANCEL_PAYMENT |
/// | [`is_abandoned`](Self::is_abandoned) | QUIT_PAYMENT, FAIL_PAYMENT |
///
/// `FAIL_AUTH_PASSWORD` (a wrong password) counts as in progress: the buyer may still try again on
/// Kakao's page. `ISSUED_SID` (a subscription key issued) is never expected for one-time payments and is
/// counted as in progress so that nothing is completed or released on its strength.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PaymentState {
    /// Prepared by `ready`; the buyer has not acted yet.
    Ready,
    /// A payment message was sent to the buyer's KakaoTalk.
    SendTms,
    /// The buyer opened the payment page.
    OpenPayment,
    /// The buyer is choosing how to pay.
    SelectMethod,
    /// Waiting for the buyer's ARS call.
    ArsWaiting,
    /// The buyer authenticated; waiting for our `approve`.
    AuthPassword,
    /// A subscription key (SID) was issued.
    IssuedSid,
    /// Approved: the money is taken.
    SuccessPayment,
    /// Partly refunded; the rest is still held.
    PartCancelPayment,
    /// Fully refunded.
    CancelPayment,
    /// The buyer failed password authentication.
    FailAuthPassword,
    /// The buyer gave up.
    QuitPayment,
    /// The payment failed.
    FailPayment,
    /// A status not documented when this was written, kept as sent.
    Unknown(String),
}

impl PaymentState {
    /// Every documented status, in Kakao's order.
    pub const DOCUMENTED: [PaymentState; 13] = [
        Self::Ready,
        Self::SendTms,
        Self::OpenPayment,
        Self::SelectMethod,
        Self::ArsWaiting,
        Self::AuthPassword,
        Self::IssuedSid,
        Self::SuccessPayment,
        Self::PartCancelPayment,
        Self::CancelPayment,
        Self::FailAuthPassword,
        Self::QuitPayment,
        Self::FailPayment,
    ];

    /// Reads Kakao's status string; anything undocumented becomes [`PaymentState::Unknown`].
    pub fn parse(status: &str) -> Self {
        Self::DOCUMENTED
            .into_iter()
            .find(|state| state.as_str() == status)
            .unwrap_or_else(|| Self::Unknown(status.to_owned()))
    }

    /// Kakao's status string.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Ready => "READY",
            Self::SendTms => "SEND_TMS",
            Self::OpenPayment => "OPEN_PAYMENT",
            Self::SelectMethod => "SELECT_METHOD",
            Self::ArsWaiting => "ARS_WAITING",
            Self::AuthPassword => "AUTH_PASSWORD",
            Self::IssuedSid => "ISSUED_SID",
            Self::SuccessPayment => "SUCCESS_PAYMENT",
            Self::PartCancelPayment => "PART_CANCEL_PAYMENT",
            Self::CancelPayment => "CANCEL_PAYMENT",
            Self::FailAuthPassword => "FAIL_AUTH_PASSWORD",
            Self::QuitPayment => "QUIT_PAYMENT",
            Self::FailPayment => "FAIL_PAYMENT",
            Self::Unknown(s) => s,
        }
    }

    /// Approved and not fully refunded: the money is (at least partly) taken.
    pub fn is_paid(&self) -> bool {
        matches!(self, Self::SuccessPayment | Self::PartCancelPayment)
    }

    /// The buyer gave up or the payment failed: no money moved and none will for this `tid`.
    pub fn is_abandoned(&self) -> bool {
        matches!(self, Self::QuitPayment | Self::FailPayment)
    }

    /// Approved, then fully refunded.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Self::CancelPayment)
    }

    /// Not decided yet: the buyer is still somewhere on Kakao's pages, or we have not approved yet.
    pub fn is_in_progress(&self) -> bool {
        matches!(
            self,
            Self::Ready
                | Self::SendTms
                | Self::OpenPayment
                | Self::SelectMethod
                | Self::ArsWaiting
                | Self::AuthPassword
                | Self::IssuedSid
                | Self::FailAuthPassword
        )
    }

    /// A status this code does not know.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown(_))
    }
}

impl fmt::Display for PaymentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for PaymentState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PaymentState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(deserializer)?))
    }
}
