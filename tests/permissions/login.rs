//! Login, refresh, logout, key rotation and hostile tokens and filters, over HTTP against the
//! permissions service on PostgreSQL.

use braid_kit::config::{AuthConfig, CacheBackend, EventsBackend};
use braid_kit::{Infra, SubgraphConfig};
use braid_permissions::seed::{DEMO_CEO, DEMO_IC, DEMO_PASSWORD};
use braid_testkit::client::{GraphqlClient, Reply};
use braid_testkit::db::TestDb;
use braid_testkit::redis_prefix::{self, RedisPrefix};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

struct Service {
    base: String,
    db: sea_orm::DatabaseConnection,
    client: GraphqlClient,
    _db: TestDb,
    _redis: RedisPrefix,
}

async fn start() -> Service {
    let db = TestDb::create().await;
    let redis = RedisPrefix::new();
    let mut config = SubgraphConfig::default();
    config.database.url = db.url.clone();
    config.database.max_connections = 8;
    config.events.backend = EventsBackend::Memory;
    config.cache.backend = CacheBackend::Redis;
    config.cache.url = redis_prefix::url();
    config.cache.key_prefix = redis.prefix.clone();
    config.issuer.key_publish_ahead_secs = 2;
    let infra = Infra::connect(braid_permissions::NAME, config, None).await.unwrap();
    let service = braid_permissions::service(infra).await.unwrap();
    let database = service.infra.db.clone();
    let writer = braid_permissions::write::Writer {
        db: service.infra.db.clone(),
        outbox: service.infra.outbox.clone(),
        invalidator: None,
    };
    braid_permissions::seed::demo(&writer).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(service.serve(listener, std::future::pending()));
    Service { client: GraphqlClient::new(format!("{base}/graphql")), base, db: database, _db: db, _redis: redis }
}

const LOGIN: &str =
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken expiresIn } }";
const REFRESH: &str = "mutation($r: String!) { refresh(refreshToken: $r) { accessToken refreshToken } }";

async fn login(s: &Service, email: &str, password: &str) -> Reply {
    s.client.query(LOGIN, json!({ "e": email, "p": password })).await
}

fn field(reply: &Reply, path: &[&str]) -> String {
    let mut v = reply.data();
    for p in path {
        v = &v[p];
    }
    v.as_str().unwrap_or_else(|| panic!("no {path:?} in {}", reply.body)).to_string()
}

fn kid(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

fn verifier(s: &Service) -> std::sync::Arc<braid_kit::auth::Verifier> {
    let config = AuthConfig {
        jwks_url: Some(format!("{}/.well-known/jwks.json", s.base)),
        issuer: Some("https://braid.local/".into()),
        audience: Some("braid".into()),
        jwks_min_refresh_secs: 1,
        ..AuthConfig::default()
    };
    braid_kit::auth::Verifier::from_config(&config, &Default::default()).unwrap().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_issues_tokens_any_jwks_client_verifies_and_refresh_rotates() {
    let s = start().await;
    let reply = login(&s, DEMO_CEO, DEMO_PASSWORD).await;
    let access = field(&reply, &["login", "accessToken"]);
    let refresh = field(&reply, &["login", "refreshToken"]);
    assert_eq!(reply.data()["login"]["expiresIn"], 900);

    // A verifier that knows only the JWKS URL, as the gateway and other subgraphs do.
    let viewer = verifier(&s).verify(&access).await.unwrap();
    assert_eq!(viewer.subject, "1");
    assert!(viewer.has_scope("admin"));
    let me = s
        .client
        .query_as(&access, "{ me { email chainOfCommand { id } reports(depth: 1) { title } } }", json!({}))
        .await;
    assert_eq!(me.data()["me"]["email"], DEMO_CEO);
    assert_eq!(me.data()["me"]["reports"].as_array().unwrap().len(), 5);

    // Each refresh token works once; reusing one revokes the whole session.
    let second = s.client.query(REFRESH, json!({ "r": refresh })).await;
    let refresh2 = field(&second, &["refresh", "refreshToken"]);
    assert_ne!(refresh2, refresh);
    let reuse = s.client.query(REFRESH, json!({ "r": refresh })).await;
    assert_eq!(reuse.code(), "INVALID_REFRESH_TOKEN");
    let after_theft = s.client.query(REFRESH, json!({ "r": refresh2 })).await;
    assert_eq!(after_theft.code(), "INVALID_REFRESH_TOKEN", "the family is revoked after a reuse");

    // Logout ends a session.
    let fresh = login(&s, DEMO_IC, DEMO_PASSWORD).await;
    let r = field(&fresh, &["login", "refreshToken"]);
    let out = s.client.query("mutation($r: String!) { logout(refreshToken: $r) }", json!({ "r": r })).await;
    assert_eq!(out.data()["logout"], true);
    assert_eq!(s.client.query(REFRESH, json!({ "r": r })).await.code(), "INVALID_REFRESH_TOKEN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_rotation_logs_nobody_out() {
    let s = start().await;
    let before = field(&login(&s, DEMO_CEO, DEMO_PASSWORD).await, &["login", "accessToken"]);
    let v = verifier(&s);
    v.verify(&before).await.unwrap();
    let rotated = s.client.query_as(&before, "mutation { rotateSigningKey }", json!({})).await;
    let new_kid = rotated.data()["rotateSigningKey"].as_str().unwrap().to_string();
    assert_ne!(kid(&before), new_kid);
    // Published at once, signing only after `key_publish_ahead_secs` (2 s here).
    let meanwhile = field(&login(&s, DEMO_CEO, DEMO_PASSWORD).await, &["login", "accessToken"]);
    assert_eq!(kid(&meanwhile), kid(&before));
    tokio::time::sleep(std::time::Duration::from_millis(2_200)).await;
    let after = field(&login(&s, DEMO_CEO, DEMO_PASSWORD).await, &["login", "accessToken"]);
    assert_eq!(kid(&after), new_kid);
    // The verifier that fetched the JWKS before the rotation takes both tokens.
    v.verify(&before).await.unwrap();
    v.verify(&after).await.unwrap();
    let me = s.client.query_as(&before, "{ me { id } }", json!({})).await;
    assert_eq!(me.data()["me"]["id"], "1");
    let jwks: Value = reqwest::get(format!("{}/.well-known/jwks.json", s.base)).await.unwrap().json().await.unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    assert!(jwks.to_string().find("\"d\"").is_none(), "no private key material in the JWKS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_wrong_passwords_lock_the_account_and_leak_nothing() {
    let s = start().await;
    let mut codes = Vec::new();
    for i in 0..100 {
        let reply = login(&s, DEMO_IC, &format!("wrong-password-{i}")).await;
        assert!(reply.body["data"].is_null(), "no tokens: {}", reply.body);
        codes.push(reply.code().to_string());
    }
    assert!(codes[..5].iter().all(|c| c == "INVALID_CREDENTIALS"), "{codes:?}");
    assert!(codes[5..].iter().all(|c| c == "TOO_MANY_ATTEMPTS"), "{codes:?}");
    // Locked: even the right password is refused for now.
    assert_eq!(login(&s, DEMO_IC, DEMO_PASSWORD).await.code(), "TOO_MANY_ATTEMPTS");
    // Another account is not affected.
    field(&login(&s, DEMO_CEO, DEMO_PASSWORD).await, &["login", "accessToken"]);
    // An unknown email answers exactly like a known one.
    let mut unknown = Vec::new();
    for i in 0..7 {
        let reply = login(&s, "nobody@demo.braid", &format!("wrong-{i}")).await;
        unknown.push(reply.code().to_string());
        assert_eq!(reply.body["errors"][0]["message"], login(&s, "x", "y").await.body["errors"][0]["message"]);
    }
    assert_eq!(unknown, codes[..7].to_vec());
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_tokens_are_refused_with_401() {
    let s = start().await;
    let good = field(&login(&s, DEMO_CEO, DEMO_PASSWORD).await, &["login", "accessToken"]);
    let kid = kid(&good);
    let claims = |exp: i64, aud: &str| json!({ "sub": "1", "scope": "admin", "iss": "https://braid.local/", "aud": aud, "exp": exp, "nbf": now() - 5 });
    let rs256 = |pem: &str, kid: &str, claims: Value| {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.into());
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap()).unwrap()
    };
    let b64 = |v: Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let jwks: Value = reqwest::get(format!("{}/.well-known/jwks.json", s.base)).await.unwrap().json().await.unwrap();
    let public_n = jwks["keys"][0]["n"].as_str().unwrap().to_string();
    let hs256 = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(kid.clone());
        jsonwebtoken::encode(&header, &claims(now() + 600, "braid"), &EncodingKey::from_secret(public_n.as_bytes()))
            .unwrap()
    };
    let other = braid_testkit::jwt::OTHER_PRIVATE_PEM;
    let cases = [
        ("expired", rs256(other, &kid, claims(now() - 600, "braid"))),
        ("bad signature", rs256(other, &kid, claims(now() + 600, "braid"))),
        ("alg none", format!("{}.{}.", b64(json!({"alg": "none", "kid": kid})), b64(claims(now() + 600, "braid")))),
        ("HS256 with the public key", hs256),
        ("unknown kid", rs256(other, "nobody", claims(now() + 600, "braid"))),
        ("tampered payload", {
            let parts: Vec<&str> = good.split('.').collect();
            format!("{}.{}.{}", parts[0], b64(claims(now() + 6000, "braid")), parts[2])
        }),
        ("garbage", "not-a-jwt".to_string()),
    ];
    for (what, token) in &cases {
        let reply = s.client.query_as(token, "{ me { id name } }", json!({})).await;
        assert_eq!(reply.status, 401, "{what}: {}", reply.body);
        assert_eq!(reply.code(), "INVALID_TOKEN", "{what}");
        assert!(reply.body["data"].is_null(), "{what}: nothing served");
    }
    // Signed with the issuer's real key (taken from its database) but for someone else.
    use sea_orm::EntityTrait;
    let key =
        braid_permissions::entity::signing_key::Entity::find_by_id(kid.clone()).one(&s.db).await.unwrap().unwrap();
    let mut wrong_issuer = claims(now() + 600, "braid");
    wrong_issuer["iss"] = json!("https://evil.example/");
    for (what, token) in [
        ("wrong audience", rs256(&key.private_pem, &kid, claims(now() + 600, "another-api"))),
        ("wrong issuer", rs256(&key.private_pem, &kid, wrong_issuer)),
    ] {
        let reply = s.client.query_as(&token, "{ me { id } }", json!({})).await;
        assert_eq!(reply.status, 401, "{what}: {}", reply.body);
        assert_eq!(reply.code(), "INVALID_TOKEN", "{what}");
    }
    // The real key with the right claims passes, so the refusals above are about the claims.
    let fine = rs256(&key.private_pem, &kid, claims(now() + 600, "braid"));
    assert_eq!(s.client.query_as(&fine, "{ me { id } }", json!({})).await.data()["me"]["id"], "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_metacharacters_in_every_filter_are_plain_text() {
    let s = start().await;
    let token = field(&login(&s, DEMO_CEO, DEMO_PASSWORD).await, &["login", "accessToken"]);
    let count = "{ employees(first: 1) { totalCount } }";
    let total = s.client.query_as(&token, count, json!({})).await.data()["employees"]["totalCount"].clone();
    assert_eq!(total, 2000);
    let hostile =
        ["'; DROP TABLE employees; --", "x' OR '1'='1", "%", "_", "\\", "\" OR 1=1 --", "1); DELETE FROM grants; --"];
    let q = "query($f: EmployeeFilter) { employees(filter: $f, first: 5) { totalCount edges { node { id } } } }";
    for text in hostile {
        for key in ["nameContains", "department", "title", "email"] {
            let reply = s.client.query_as(&token, q, json!({ "f": { key: text } })).await;
            assert_eq!(reply.data()["employees"]["totalCount"], 0, "{key} = {text:?}: {}", reply.body);
        }
        let reply = s.client.query_as(&token, q, json!({ "f": { "managerId": text } })).await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "managerId = {text:?}");
        let reply = s
            .client
            .query_as(&token, "query($a: String) { employees(after: $a) { totalCount } }", json!({ "a": text }))
            .await;
        assert_eq!(reply.code(), "INVALID_CURSOR");
    }
    assert_eq!(s.client.query_as(&token, count, json!({})).await.data()["employees"]["totalCount"], total);
}
