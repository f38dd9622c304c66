//! Tokens signed with the test key pair (`tests/kit/keys/`).

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

pub const PRIVATE_PEM: &str = include_str!("../keys/test-private.pem");
pub const PUBLIC_PEM: &str = include_str!("../keys/test-public.pem");
/// A key the services do not trust.
pub const OTHER_PRIVATE_PEM: &str = include_str!("../keys/other-private.pem");

pub const ISSUER: &str = "https://braid.test/";
pub const AUDIENCE: &str = "braid";

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock after 1970").as_secs() as i64
}

/// A valid token for `sub` with `scopes`.
pub fn token(sub: &str, scopes: &[&str]) -> String {
    sign(
        PRIVATE_PEM,
        json!({ "sub": sub, "scope": scopes.join(" "), "iss": ISSUER, "aud": AUDIENCE, "exp": now() + 600 }),
    )
}

/// A token that expired ten minutes ago.
pub fn expired(sub: &str, scopes: &[&str]) -> String {
    sign(
        PRIVATE_PEM,
        json!({ "sub": sub, "scope": scopes.join(" "), "iss": ISSUER, "aud": AUDIENCE, "exp": now() - 600 }),
    )
}

/// Signs `claims` (RS256) with `pem`.
pub fn sign(pem: &str, claims: serde_json::Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("test".into());
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_pem(pem.as_bytes()).expect("test key parses"))
        .expect("token signs")
}
