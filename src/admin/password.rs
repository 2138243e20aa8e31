//! Admin passwords: argon2id hashes in PHC strings, computed off the async workers.
//!
//! One hash costs tens of milliseconds of CPU and 19 MiB of memory on purpose (argon2's defaults, the
//! OWASP minimum: m = 19 MiB, t = 2, p = 1). Run on a tokio worker it would stall every request sharing
//! that worker, so [`hash`] and [`verify`] move the work to the blocking pool. The parameters travel
//! inside each PHC string, so stronger parameters later still verify old hashes.

use std::sync::LazyLock;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, Params};
use secrecy::{ExposeSecret, SecretString};

/// Shorter passwords are refused when an account is created.
pub const MIN_CHARS: usize = 12;
/// Longer ones too: hashing megabytes is a denial of service, and no one types 256 characters.
pub const MAX_CHARS: usize = 256;

/// A password that met the length rules; its `Debug` shows nothing.
pub struct Password(SecretString);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    /// Checks the length (in characters, so Korean passwords are not penalised).
    pub fn new(password: String) -> Result<Self, String> {
        let chars = password.chars().count();
        if chars < MIN_CHARS {
            return Err(format!("the password must be at least {MIN_CHARS} characters"));
        }
        if chars > MAX_CHARS {
            return Err(format!("the password must be at most {MAX_CHARS} characters"));
        }
        Ok(Self(SecretString::from(password)))
    }
}

/// The argon2id instance every new hash is made with.
fn hasher() -> Argon2<'static> {
    Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        Params::default(),
    )
}

/// Hashes `password` with a fresh random salt, on the blocking pool.
pub async fn hash(password: &Password) -> Result<String, PasswordError> {
    let password = password.0.clone();
    tokio::task::spawn_blocking(move || hash_now(password.expose_secret()))
        .await
        .map_err(|e| PasswordError(format!("hashing task: {e}")))?
}

/// Whether `password` matches `phc`, on the blocking pool. A malformed stored hash does not match.
pub async fn verify(password: &str, phc: &str) -> Result<bool, PasswordError> {
    let (password, phc) = (SecretString::from(password.to_owned()), phc.to_owned());
    tokio::task::spawn_blocking(move || verify_now(password.expose_secret(), &phc))
        .await
        .map_err(|e| PasswordError(format!("verification task: {e}")))
}

/// Spends the time of a real verification and answers false: used when the username does not exist, so
/// an unknown username and a wrong password cannot be told apart by how long the answer takes.
pub async fn verify_dummy(password: &str) -> Result<bool, PasswordError> {
    let password = SecretString::from(password.to_owned());
    tokio::task::spawn_blocking(move || {
        let _ = verify_now(password.expose_secret(), &DUMMY_HASH);
        false
    })
    .await
    .map_err(|e| PasswordError(format!("verification task: {e}")))
}

/// A hash of a random password with the current parameters, made once.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).expect("the operating system provides randomness");
    let password: String = random.iter().map(|b| format!("{b:02x}")).collect();
    hash_now(&password).expect("hashing a fixed-size password cannot fail")
});

/// The blocking half of [`hash`]. Only call it from a blocking context.
fn hash_now(password: &str) -> Result<String, PasswordError> {
    hasher()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError(format!("argon2: {e}")))
}

/// The blocking half of [`verify`]. Only call it from a blocking context.
fn verify_now(password: &str, phc: &str) -> bool {
    hasher().verify_password(password.as_bytes(), phc).is_ok()
}

/// Hashing could not run (no randomness for a salt, or the blocking task died).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PasswordError(String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_shorter_than_twelve_characters_are_refused() {
        assert!(Password::new("short-pass1".into()).is_err());
        assert!(Password::new("long-enough-1".into()).is_ok());
        assert!(Password::new("비밀번호는열두글자입니다".into()).is_ok());
        assert!(Password::new("x".repeat(MAX_CHARS + 1)).is_err());
        assert_eq!(
            format!("{:?}", Password::new("long-enough-1".into()).unwrap()),
            "Password(***)"
        );
    }

    #[tokio::test]
    async fn a_hash_is_argon2id_salted_and_verifies_only_its_password() {
        let password = Password::new("correct horse battery".into()).unwrap();
        let first = hash(&password).await.unwrap();
        let second = hash(&password).await.unwrap();
        assert!(first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{first}");
        assert_ne!(first, second, "every hash has its own salt");
        assert!(verify("correct horse battery", &first).await.unwrap());
        assert!(!verify("correct horse battery!", &first).await.unwrap());
        assert!(!verify("correct horse battery", "not a phc string").await.unwrap());
        assert!(!verify_dummy("correct horse battery").await.unwrap());
    }

    /// The work runs on the blocking pool: a current-thread runtime keeps ticking a timer while a
    /// verification is in progress, which it could not do if the hash ran on its only worker.
    #[tokio::test(flavor = "current_thread")]
    async fn hashing_does_not_block_the_async_worker() {
        let phc = hash(&Password::new("correct horse battery".into()).unwrap())
            .await
            .unwrap();
        let ticks = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let counter = ticks.clone();
        let ticker = tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        });
        let started = std::time::Instant::now();
        for _ in 0..3 {
            assert!(verify("correct horse battery", &phc).await.unwrap());
        }
        let elapsed = started.elapsed();
        ticker.abort();
        let ticked = ticks.load(std::sync::atomic::Ordering::Relaxed);
        assert!(
            ticked >= 3,
            "the worker was blocked: {ticked} ticks in {elapsed:?}"
        );
    }
}
