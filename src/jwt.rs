//! What the two kinds of JWT this server signs (payment links and admin access tokens) share.

/// Seconds since the Unix epoch, the unit of `exp`, `nbf` and `iat`.
pub fn unix_now() -> u64 {
    u64::try_from(crate::clock::now_ms() / 1000).unwrap_or(0)
}

/// `sub` is a string in JWTs; ours holds a numeric id. Use with `#[serde(with = "crate::jwt::id_string")]`.
pub mod id_string {
    use std::fmt::Display;
    use std::str::FromStr;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<T: Display, S: Serializer>(id: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&id.to_string())
    }

    pub fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: FromStr<Err: Display>,
        D: Deserializer<'de>,
    {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}
