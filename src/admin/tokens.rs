//! Admin tokens: short-lived signed access tokens (JWT) and long-lived opaque refresh tokens.
//!
//! The original signed a one-hour JWT with a key written in its source code. Here the key is
//! `JWT_SECRET` (≥ 32 bytes, required in production), access tokens live `ADMIN_ACCESS_TTL_SECS`
//! (15 minutes by default), and only HS256 with our issuer, our audience and `typ = "access"` is
//! accepted: a payment link (audience `junggye:pay`), a token signed with another algorithm (`none`,
//! HS384, …) or another key, an edited payload, an expired or not-yet-valid token are all refused.
//!
//! Refresh tokens are not JWTs: 256 random bits, base64url, which mean nothing without their row in
//! `admin_refresh_tokens` (see [`super::refresh`]), where only their SHA-256 is kept.

pub use crate::jwt::unix_now;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::accounts::{Account, Role};

/// Who issues admin tokens.
pub const ISSUER: &str = "junggye";
/// Who admin tokens are for; payment links use `junggye:pay`, so neither passes for the other.
pub const AUDIENCE: &str = "junggye:admin";
/// The `typ` claim of an access token.
pub const ACCESS: &str = "access";
/// Clock difference tolerated between instances when checking `exp` and `nbf`.
const LEEWAY_SECS: u64 = 5;
/// A longer bearer value is not one of ours; refusing it early bounds the work done on garbage.
const MAX_TOKEN_LEN: usize = 2048;

/// The claims of an access token, as the auth layer puts them in the request's extensions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminClaims {
    pub iss: String,
    pub aud: String,
    /// The account id (JWT subjects are strings).
    #[serde(rename = "sub", with = "crate::jwt::id_string")]
    pub account_id: i64,
    #[serde(rename = "name")]
    pub username: String,
    /// The role. Once verified, the auth layer replaces it with the account's current role.
    pub role: Role,
    /// Always `"access"`; anything else is refused.
    pub typ: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    /// Random, so two tokens are never equal (and a token can be named in logs without showing it).
    pub jti: String,
}

/// Signs and verifies access tokens with `JWT_SECRET`.
pub struct AccessTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl std::fmt::Debug for AccessTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessTokens")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl AccessTokens {
    pub fn new(secret: &SecretString, ttl: Duration) -> Self {
        let key = secret.expose_secret().as_bytes();
        // `Validation::new` lists exactly one algorithm; the header's `alg` must be it.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        Self {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            validation,
            ttl,
        }
    }

    /// How long an access token lives, in seconds (the `expires_in` of token answers).
    pub fn ttl_secs(&self) -> u64 {
        self.ttl.as_secs().max(1)
    }

    /// A fresh access token for `account`.
    pub fn issue(&self, account: &Account) -> String {
        let now = unix_now();
        self.sign(&AdminClaims {
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            account_id: account.id,
            username: account.username.clone(),
            role: account.role,
            typ: ACCESS.to_owned(),
            iat: now,
            nbf: now,
            exp: now + self.ttl_secs(),
            jti: uuid::Uuid::new_v4().simple().to_string(),
        })
    }

    /// Signs any claims with HS256 (tests use it for expired or otherwise odd tokens).
    pub fn sign(&self, claims: &AdminClaims) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .expect("HS256 signing of plain claims cannot fail")
    }

    /// The claims of a valid access token, or why it is refused (a short reason, safe to show).
    pub fn verify(&self, token: &str) -> Result<AdminClaims, &'static str> {
        if token.len() > MAX_TOKEN_LEN {
            return Err("the token is not valid");
        }
        let claims = jsonwebtoken::decode::<AdminClaims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => "the token has expired",
                ErrorKind::ImmatureSignature => "the token is not valid yet",
                _ => "the token is not valid",
            })?;
        if claims.typ != ACCESS {
            return Err("not an access token");
        }
        Ok(claims)
    }
}

/// A new refresh token: 256 random bits, base64url without padding (43 characters).
pub fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored for a refresh token: its SHA-256, hex. The token has 256 bits of entropy, so a fast
/// hash is enough; the point is that the table alone lets no one sign in.
pub fn refresh_token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> AccessTokens {
        AccessTokens::new(
            &SecretString::from("0123456789abcdef0123456789abcdef"),
            Duration::from_secs(900),
        )
    }

    fn account() -> Account {
        Account {
            id: 7,
            username: "kim".into(),
            role: Role::Viewer,
            password_hash: String::new(),
            disabled_at: None,
        }
    }

    #[test]
    fn an_access_token_round_trips_with_every_claim() {
        let tokens = tokens();
        let claims = tokens.verify(&tokens.issue(&account())).unwrap();
        assert_eq!((claims.account_id, claims.username.as_str()), (7, "kim"));
        assert_eq!(claims.role, Role::Viewer);
        assert_eq!((claims.iss.as_str(), claims.aud.as_str()), (ISSUER, AUDIENCE));
        assert_eq!(claims.typ, ACCESS);
        assert_eq!(claims.exp - claims.iat, 900);
        assert_eq!(claims.nbf, claims.iat);
        let again = tokens.verify(&tokens.issue(&account())).unwrap();
        assert_ne!(claims.jti, again.jti);
    }

    #[test]
    fn refresh_tokens_are_random_256_bit_base64url_and_stored_as_sha256() {
        let (a, b) = (new_refresh_token(), new_refresh_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        let hash = refresh_token_hash(&a);
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains(&a));
        assert_eq!(
            refresh_token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn oversized_and_garbage_tokens_are_refused() {
        let tokens = tokens();
        assert!(tokens.verify(&"a".repeat(MAX_TOKEN_LEN + 1)).is_err());
        assert!(tokens.verify("garbage").is_err());
        assert!(tokens.verify("").is_err());
    }
}
