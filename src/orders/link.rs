//! Payment links: `{PUBLIC_URL}/pay/{token}`, where the token is a signed, short-lived, single-use
//! statement "member B may start paying P won for product X".
//!
//! The system this replaces put the buyer's key in the query string, so anyone could pay as anyone
//! by editing the link. Here every fact is inside an HS256 signature (`PAY_LINK_SECRET`), so nothing in the URL can
//! be edited into another buyer, product or price; `exp` makes it short-lived; and its random `jti` is
//! stored with the order it creates under a unique index, so a link opens at most one order.

pub use crate::jwt::unix_now;
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::domain::ids::{MemberId, ProductId};

/// The audience of payment links; a token minted for anything else (an admin token) is refused.
const AUDIENCE: &str = "junggye:pay";

/// What a payment link grants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayClaims {
    /// The buyer's member id.
    #[serde(rename = "sub", with = "crate::jwt::id_string")]
    pub buyer_id: MemberId,
    #[serde(rename = "pid")]
    pub product_id: ProductId,
    /// The price the buyer saw, in KRW.
    #[serde(rename = "amt")]
    pub amount: i64,
    /// Random; the order made from this link stores it, so the link works once.
    #[serde(rename = "jti")]
    pub nonce: String,
    pub exp: u64,
    pub aud: String,
}

/// Why a token is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkError {
    Expired,
    /// Forged, edited, truncated, signed with another key or algorithm, or meant for something else.
    Invalid,
}

/// Signs and checks payment links.
#[derive(Clone)]
pub struct PayLinks {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl std::fmt::Debug for PayLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayLinks")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl PayLinks {
    pub fn new(secret: &SecretString, ttl: Duration) -> Self {
        let key = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            validation,
            ttl,
        }
    }

    /// A token for `buyer_id` to pay `amount` for `product_id`, valid for the configured time.
    pub fn issue(&self, buyer_id: MemberId, product_id: ProductId, amount: i64) -> String {
        let claims = PayClaims {
            buyer_id,
            product_id,
            amount,
            nonce: uuid::Uuid::new_v4().simple().to_string(),
            exp: unix_now() + self.ttl.as_secs().max(1),
            aud: AUDIENCE.to_owned(),
        };
        self.sign(&claims)
    }

    /// Signs any claims (tests use it to mint expired or edited tokens).
    pub fn sign(&self, claims: &PayClaims) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .expect("HS256 signing of plain claims cannot fail")
    }

    /// The claims of a valid token: signature, algorithm (HS256 only), audience and expiry checked.
    pub fn verify(&self, token: &str) -> Result<PayClaims, LinkError> {
        if token.len() > 1024 {
            return Err(LinkError::Invalid);
        }
        jsonwebtoken::decode::<PayClaims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => LinkError::Expired,
                _ => LinkError::Invalid,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> PayLinks {
        PayLinks::new(
            &SecretString::from("0123456789abcdef0123456789abcdef"),
            Duration::from_secs(600),
        )
    }

    #[test]
    fn a_token_round_trips_and_carries_a_fresh_nonce() {
        let links = links();
        let a = links
            .verify(&links.issue(MemberId::new(7), ProductId::new(42), 15_000))
            .unwrap();
        let b = links
            .verify(&links.issue(MemberId::new(7), ProductId::new(42), 15_000))
            .unwrap();
        assert_eq!(
            (a.buyer_id, a.product_id, a.amount),
            (MemberId::new(7), ProductId::new(42), 15_000)
        );
        assert_ne!(a.nonce, b.nonce);
    }

    /// Links issued before the ids were typed still verify: the buyer is the JWT's string `sub`, the
    /// product a number.
    #[test]
    fn the_claims_keep_their_wire_shape() {
        let links = links();
        let claims = links
            .verify(&links.issue(MemberId::new(7), ProductId::new(42), 15_000))
            .unwrap();
        let json = serde_json::to_value(&claims).unwrap();
        assert_eq!(json["sub"], serde_json::json!("7"));
        assert_eq!(json["pid"], serde_json::json!(42));
    }

    #[test]
    fn edited_expired_foreign_and_unsigned_tokens_are_refused() {
        let links = links();
        let token = links.issue(MemberId::new(7), ProductId::new(42), 15_000);
        // Edit the payload: buyer 8 instead of 7.
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let claims = links.verify(&token).unwrap();
        let edited = serde_json::to_vec(&PayClaims {
            buyer_id: MemberId::new(8),
            ..claims.clone()
        })
        .unwrap();
        use base64_url::encode;
        parts[1] = encode(&edited);
        assert_eq!(links.verify(&parts.join(".")), Err(LinkError::Invalid));

        let expired = links.sign(&PayClaims {
            exp: unix_now() - 60,
            ..claims.clone()
        });
        assert_eq!(links.verify(&expired), Err(LinkError::Expired));

        let other = PayLinks::new(
            &SecretString::from("another-key-another-key-another-key!"),
            Duration::from_secs(600),
        );
        assert_eq!(other.verify(&token), Err(LinkError::Invalid));

        let wrong_audience = links.sign(&PayClaims {
            aud: "junggye:admin".into(),
            ..claims
        });
        assert_eq!(links.verify(&wrong_audience), Err(LinkError::Invalid));

        // alg "none": header {"alg":"none","typ":"JWT"}, no signature.
        let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", parts[1]);
        assert_eq!(links.verify(&none), Err(LinkError::Invalid));
        assert_eq!(links.verify("garbage"), Err(LinkError::Invalid));
        assert_eq!(links.verify(""), Err(LinkError::Invalid));
    }

    /// Unpadded URL-safe base64, enough to forge a payload in a test.
    mod base64_url {
        pub fn encode(bytes: &[u8]) -> String {
            const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let mut out = String::new();
            for chunk in bytes.chunks(3) {
                let n =
                    chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
                for i in 0..=chunk.len() {
                    out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
                }
            }
            out
        }
    }
}
