//! Bearer token verification against a JWKS served over HTTP.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use braid_kit::auth::{TokenError, Verifier};
use braid_kit::config::AuthConfig;
use braid_testkit::jwt;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A JWKS endpoint whose key set the test can change; counts fetches.
struct JwksServer {
    url: String,
    keys: Arc<Mutex<serde_json::Value>>,
    fetches: Arc<AtomicUsize>,
}

async fn jwks_server(keys: serde_json::Value) -> JwksServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/.well-known/jwks.json", listener.local_addr().unwrap());
    let keys = Arc::new(Mutex::new(keys));
    let fetches = Arc::new(AtomicUsize::new(0));
    let (k, f) = (keys.clone(), fetches.clone());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            f.fetch_add(1, Ordering::SeqCst);
            let body = k.lock().unwrap().to_string();
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(reply.as_bytes()).await;
        }
    });
    JwksServer { url, keys, fetches }
}

fn verifier(url: &str) -> Arc<Verifier> {
    let config = AuthConfig {
        jwks_url: Some(url.to_string()),
        issuer: Some(jwt::ISSUER.into()),
        audience: Some(jwt::AUDIENCE.into()),
        ..AuthConfig::default()
    };
    Verifier::from_config(&config, &Default::default()).unwrap().expect("a verifier")
}

#[tokio::test]
async fn tokens_verify_against_the_jwks_and_forgeries_do_not() {
    assert!(jwt::public_key_is_valid());
    let server = jwks_server(json!({ "keys": [jwt::jwk(jwt::PRIVATE_PEM, "k1")] })).await;
    let v = verifier(&server.url);

    let good = jwt::sign_with_kid(jwt::PRIVATE_PEM, "k1", jwt::claims("emp-7", &["catalog:write", "admin"]));
    let viewer = v.verify(&good).await.unwrap();
    assert_eq!(viewer.subject, "emp-7");
    assert!(viewer.has_scope("catalog:write") && viewer.has_scope("admin") && !viewer.has_scope("x"));
    assert_eq!(v.verify_header(&format!("Bearer {good}")).await.unwrap(), viewer);
    assert_eq!(v.verify_header(&format!("Basic {good}")).await.unwrap_err(), TokenError::NotBearer);

    // Signed by a key the JWKS does not hold, under its kid: bad signature.
    let forged = jwt::sign_with_kid(jwt::OTHER_PRIVATE_PEM, "k1", jwt::claims("emp-7", &["admin"]));
    assert!(matches!(v.verify(&forged).await.unwrap_err(), TokenError::Invalid(_)));
    // HS256 with the RSA public key as the shared secret: refused before any key is used.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("k1".into());
    let confused = jsonwebtoken::encode(
        &header,
        &jwt::claims("emp-7", &["admin"]),
        &EncodingKey::from_secret(jwt::PUBLIC_PEM.as_bytes()),
    )
    .unwrap();
    assert_eq!(v.verify(&confused).await.unwrap_err(), TokenError::Algorithm);
    // alg: none.
    let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIiwia2lkIjoiazEifQ.eyJzdWIiOiJ4IiwiZXhwIjo0MDAwMDAwMDAwfQ.";
    assert!(v.verify(none).await.is_err());
    // Expired, wrong audience, wrong issuer, garbage.
    let mut expired = jwt::claims("emp-7", &[]);
    expired["exp"] = json!(1_000_000);
    assert_eq!(v.verify(&jwt::sign_with_kid(jwt::PRIVATE_PEM, "k1", expired)).await.unwrap_err(), TokenError::Expired);
    let mut audience = jwt::claims("emp-7", &[]);
    audience["aud"] = json!("another-api");
    assert!(matches!(
        v.verify(&jwt::sign_with_kid(jwt::PRIVATE_PEM, "k1", audience)).await.unwrap_err(),
        TokenError::Invalid(_)
    ));
    let mut issuer = jwt::claims("emp-7", &[]);
    issuer["iss"] = json!("https://evil.example/");
    assert!(matches!(
        v.verify(&jwt::sign_with_kid(jwt::PRIVATE_PEM, "k1", issuer)).await.unwrap_err(),
        TokenError::Invalid(_)
    ));
    assert_eq!(v.verify("not.a.token").await.unwrap_err(), TokenError::Malformed);
}

#[tokio::test]
async fn unknown_kids_refresh_the_jwks_but_cannot_hammer_it() {
    let server = jwks_server(json!({ "keys": [jwt::jwk(jwt::PRIVATE_PEM, "k1")] })).await;
    let v = verifier(&server.url);
    let first = jwt::sign_with_kid(jwt::PRIVATE_PEM, "k1", jwt::claims("a", &[]));
    v.verify(&first).await.unwrap();
    assert_eq!(server.fetches.load(Ordering::SeqCst), 1, "fetched on first use");
    v.verify(&first).await.unwrap();
    assert_eq!(server.fetches.load(Ordering::SeqCst), 1, "cached");

    // Twenty tokens naming kids nobody published: at most one refresh.
    for i in 0..20 {
        let token = jwt::sign_with_kid(jwt::PRIVATE_PEM, &format!("bogus-{i}"), jwt::claims("a", &[]));
        assert_eq!(v.verify(&token).await.unwrap_err(), TokenError::UnknownKey);
    }
    assert!(server.fetches.load(Ordering::SeqCst) <= 2, "refreshes are rate limited");

    // A rotated key set: a new verifier (or the next allowed refresh) picks the new kid up.
    *server.keys.lock().unwrap() =
        json!({ "keys": [jwt::jwk(jwt::PRIVATE_PEM, "k1"), jwt::jwk(jwt::OTHER_PRIVATE_PEM, "k2")] });
    let rotated = jwt::sign_with_kid(jwt::OTHER_PRIVATE_PEM, "k2", jwt::claims("b", &[]));
    let fresh = verifier(&server.url);
    assert_eq!(fresh.verify(&rotated).await.unwrap().subject, "b");
    assert_eq!(fresh.verify(&first).await.unwrap().subject, "a", "old tokens keep working during rotation");
}
