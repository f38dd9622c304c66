//! Password hashing with argon2id (the crate's defaults: 19 MiB, 2 passes).

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use braid_kit::ClientError;

/// Shortest and longest password accepted.
const MIN_LEN: usize = 8;
const MAX_LEN: usize = 256;

/// Hashes a new password after checking its length.
pub fn hash(password: &str) -> Result<String, ClientError> {
    let len = password.chars().count();
    if !(MIN_LEN..=MAX_LEN).contains(&len) {
        return Err(ClientError::bad_input("password", format!("a password has {MIN_LEN} to {MAX_LEN} characters")));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ClientError::internal(&e))
}

/// Does `password` match `stored`? A malformed stored hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    if password.len() > MAX_LEN * 4 {
        return false;
    }
    PasswordHash::new(stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A valid hash of nothing anyone knows: verified against when the email is unknown, so an
/// unknown email takes as long as a wrong password.
pub fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash(&uuid::Uuid::new_v4().to_string()).expect("a random password hashes"))
}
