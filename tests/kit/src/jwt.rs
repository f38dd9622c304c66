//! Tokens signed with the test key pair (`tests/kit/keys/`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::traits::PublicKeyParts;
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
    sign(PRIVATE_PEM, claims(sub, scopes))
}

/// A token that expired ten minutes ago.
pub fn expired(sub: &str, scopes: &[&str]) -> String {
    let mut claims = claims(sub, scopes);
    claims["exp"] = json!(now() - 600);
    sign(PRIVATE_PEM, claims)
}

/// Signs `claims` (RS256) with `pem`.
pub fn sign(pem: &str, claims: serde_json::Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("test".into());
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_pem(pem.as_bytes()).expect("test key parses"))
        .expect("token signs")
}

/// The JWK (RS256 public key) of a private key in PEM, under `kid`.
pub fn jwk(private_pem: &str, kid: &str) -> serde_json::Value {
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(private_pem).expect("test key parses");
    let public = key.to_public_key();
    json!({ "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()), "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()) })
}

/// The public key PEM (SPKI) of a private key in PEM: what an issuer publishes, and what an
/// HS256 forgery would use as its secret.
pub fn public_pem(private_pem: &str) -> String {
    use rsa::pkcs8::EncodePublicKey;
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(private_pem).expect("test key parses");
    key.to_public_key().to_public_key_pem(rsa::pkcs8::LineEnding::LF).expect("public key encodes")
}

/// Signs `claims` with `pem` under a chosen `kid`.
pub fn sign_with_kid(pem: &str, kid: &str, claims: serde_json::Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_pem(pem.as_bytes()).expect("test key parses"))
        .expect("token signs")
}

/// The `sub` of a bearer token, read without verifying it: for stand-ins behind a gateway that
/// has verified it.
pub fn subject(token: &str) -> Option<String> {
    let payload = URL_SAFE_NO_PAD.decode(token.split('.').nth(1)?).ok()?;
    Some(serde_json::from_slice::<serde_json::Value>(&payload).ok()?["sub"].as_str()?.to_string())
}

/// Standard claims for `sub`, valid for ten minutes.
pub fn claims(sub: &str, scopes: &[&str]) -> serde_json::Value {
    json!({ "sub": sub, "scope": scopes.join(" "), "iss": ISSUER, "aud": AUDIENCE, "exp": now() + 600 })
}

/// The public key PEM parses (guards the fixture files).
pub fn public_key_is_valid() -> bool {
    rsa::RsaPublicKey::from_public_key_pem(PUBLIC_PEM).is_ok()
}
