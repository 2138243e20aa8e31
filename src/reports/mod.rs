//! 신고 (reports): any member reports a product or a member, with a reason; admins work through the reports
//! as a queue and dismiss them, hide the product, or suspend the member.
//!
//! The rules live in the statements of [`store`]: one open report per reporter and target (a unique index),
//! never one's own product or oneself, and — in the same transaction as the report — the hold that takes a
//! product off the lists once `REPORTS_TO_HOLD` different members have open reports on it. Of two reports
//! at once, both count: each first takes the product's row, so the second sees the first.

pub mod store;

use serde::Serialize;

/// Why a member reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Fraud,
    Prohibited,
    Misleading,
    Abusive,
    Spam,
}

impl Reason {
    pub const ALL: [Reason; 5] = [
        Self::Fraud,
        Self::Prohibited,
        Self::Misleading,
        Self::Abusive,
        Self::Spam,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Fraud => "fraud",
            Self::Prohibited => "prohibited",
            Self::Misleading => "misleading",
            Self::Abusive => "abusive",
            Self::Spam => "spam",
        }
    }

    /// What the member taps (a quick reply: at most 14 characters show).
    pub fn label(self) -> &'static str {
        match self {
            Self::Fraud => "사기 의심",
            Self::Prohibited => "판매 금지 물품",
            Self::Misleading => "허위·부적절한 내용",
            Self::Abusive => "욕설·비매너",
            Self::Spam => "광고·도배",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.key() == key.trim())
    }
}

crate::db::text_column!(Reason, key);

/// Where a report is in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportStatus {
    Open,
    /// An admin found nothing to do.
    Dismissed,
    /// An admin hid the product or suspended the member.
    Actioned,
}

impl ReportStatus {
    pub const ALL: [ReportStatus; 3] = [Self::Open, Self::Dismissed, Self::Actioned];

    pub fn key(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Dismissed => "dismissed",
            Self::Actioned => "actioned",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key.trim())
    }
}

crate::db::text_column!(ReportStatus, key);

/// What an admin decides about a report (and every open report on the same target).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Nothing wrong: the reports close, and a product the reports held is listed again.
    Dismiss,
    /// The product is hidden for good (its seller cannot show it again); product reports only.
    HideProduct,
    /// The member is suspended: their listed products are held and the skills refuse them.
    SuspendMember,
}

impl Decision {
    pub const ALL: [Decision; 3] = [Self::Dismiss, Self::HideProduct, Self::SuspendMember];

    pub fn key(self) -> &'static str {
        match self {
            Self::Dismiss => "dismiss",
            Self::HideProduct => "hide_product",
            Self::SuspendMember => "suspend_member",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.key() == key.trim())
    }
}
