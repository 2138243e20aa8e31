//! The ids of members, products and orders, each its own type.
//!
//! All three are database integers, and a store function that takes two of them (an order and the
//! member acting on it) would accept them swapped if they were bare `i64`s. As types, a swap does not
//! compile. They are stored, bound and serialised as the integer itself (`sqlx` and `serde`
//! transparent), so the database, `clientExtra` and JSON see exactly what they saw before.
//!
//! An id is made from an integer at the edge, where one arrives: a database row, a signed payment
//! link, a `clientExtra` value or a URL path ([`FromStr`]). Nothing in between does arithmetic on ids.

use std::fmt;
use std::num::ParseIntError;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, sqlx::Type,
        )]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(i64);

        impl $name {
            /// The id the database gave this row.
            pub const fn new(raw: i64) -> Self {
                Self(raw)
            }

            /// The integer, for what is not typed: cursors, JSON built by hand, admin DTOs.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = ParseIntError;

            /// Reads the id from its decimal text (a `clientExtra` value, a path segment).
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.parse().map(Self)
            }
        }
    };
}

id_type!(
    /// A member (`members.id`).
    MemberId
);
id_type!(
    /// A product (`products.id`).
    ProductId
);
id_type!(
    /// An order (`orders.id`).
    OrderId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_their_integer_in_text_and_json() {
        let id = OrderId::new(42);
        assert_eq!(id.to_string(), "42");
        assert_eq!(serde_json::to_string(&id).unwrap(), "42");
        assert_eq!(serde_json::from_str::<OrderId>("42").unwrap(), id);
        assert_eq!("42".parse::<OrderId>(), Ok(id));
        assert!("4x".parse::<MemberId>().is_err());
    }
}
