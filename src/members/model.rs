//! A member of the market: who they are to us, and their grade.

use std::fmt;

use crate::domain::ids::MemberId;
use crate::domain::member::PhoneNumber;

/// Member grades. Everyone starts at bronze; the others are awarded by admins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grade {
    Bronze,
    Silver,
    Platinum,
    Diamond,
}

impl Grade {
    /// The value stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bronze => "bronze",
            Self::Silver => "silver",
            Self::Platinum => "platinum",
            Self::Diamond => "diamond",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        Some(match stored {
            "bronze" => Self::Bronze,
            "silver" => Self::Silver,
            "platinum" => Self::Platinum,
            "diamond" => Self::Diamond,
            _ => return None,
        })
    }

    /// What users see.
    pub fn label(self) -> &'static str {
        match self {
            Self::Bronze => "브론즈",
            Self::Silver => "실버",
            Self::Platinum => "플래티넘",
            Self::Diamond => "다이아몬드",
        }
    }
}

crate::db::text_column!(Grade, as_str);

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// An active member.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    pub id: MemberId,
    /// Kakao's botUserKey.
    pub user_key: String,
    pub name: String,
    pub phone: PhoneNumber,
    pub grade: Grade,
    /// Unix milliseconds, UTC.
    pub joined_at: i64,
    /// An admin suspended the member after reports ([`crate::members::suspension`]): the skills refuse them.
    pub suspended: bool,
}
