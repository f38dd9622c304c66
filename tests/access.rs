//! Authorization at the gateway, end to end: the permissions subgraph on PostgreSQL, the
//! gateway verifying its tokens against its JWKS, permission answers cached in Redis.
//!
//! Tests here run one at a time: they read process-wide metrics.

#[path = "permissions/oracle.rs"]
#[allow(dead_code)] // shared with the permissions tests, which use all of it
mod oracle;

use std::collections::BTreeSet;

use braid_kit::config::{CacheBackend, EventsBackend};
use braid_kit::{Infra, SubgraphConfig};
use braid_permissions::seed::{self, Seeded};
use braid_testkit::client::{GraphqlClient, Reply};
use braid_testkit::db::TestDb;
use braid_testkit::redis_prefix::{self, RedisPrefix};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::{Rng, SeedableRng};
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use oracle::{Grant, Model, Side};

static SERIAL: Mutex<()> = Mutex::const_new(());

/// A subgraph of owned types: `Note @ownedBy(field: "ownerId")`, `Memo @ownedBy(field:
/// "ownerId", unless: "sharedWithViewer")` and `Draft.body`, marked like `Memo`.
mod notes {
    use async_graphql::{Context, EmptyMutation, EmptySubscription, ID, Object, Schema, SimpleObject};
    use braid_access::directives::ownedBy;

    /// Visible only to viewers who may see its owner.
    #[derive(SimpleObject, Clone)]
    #[graphql(directive = ownedBy::apply("ownerId".into(), None))]
    pub struct Note {
        pub id: ID,
        pub owner_id: ID,
        pub text: String,
        /// Always true: a Boolean a client could alias as the gateway's private keys.
        pub pinned: bool,
    }

    /// Visible to viewers who may see its owner, and to those it is shared with.
    #[derive(SimpleObject, Clone)]
    #[graphql(directive = ownedBy::apply("ownerId".into(), Some("sharedWithViewer".into())))]
    pub struct Memo {
        pub id: ID,
        pub owner_id: ID,
        pub text: String,
        /// Whether this memo is shared with the requesting viewer.
        pub shared_with_viewer: bool,
        /// Always true.
        pub pinned: bool,
    }

    /// Visible to everyone; its body is marked like a `Memo`.
    #[derive(SimpleObject, Clone)]
    pub struct Draft {
        pub id: ID,
        pub owner_id: ID,
        /// Whether this draft is shared with the requesting viewer.
        pub shared_with_viewer: bool,
        #[graphql(directive = ownedBy::apply("ownerId".into(), Some("sharedWithViewer".into())))]
        pub body: Option<String>,
    }

    /// The requesting employee, from the bearer token the gateway passes on.
    struct Viewer(Option<i64>);

    /// Item i is shared with employee i - 1.
    fn shared(ctx: &Context<'_>, i: i64) -> bool {
        ctx.data_opt::<Viewer>().and_then(|v| v.0) == Some(i - 1)
    }

    fn memo(ctx: &Context<'_>, i: i64) -> Memo {
        Memo {
            id: ID(format!("m{i}")),
            owner_id: ID(i.to_string()),
            text: format!("memo {i}"),
            shared_with_viewer: shared(ctx, i),
            pinned: true,
        }
    }

    pub struct Query {
        pub owners: i64,
    }

    #[Object]
    impl Query {
        /// Note i belongs to employee i (1-based), for `owners` employees.
        async fn notes(&self) -> Vec<Option<Note>> {
            (1..=self.owners)
                .map(|i| {
                    Some(Note {
                        id: ID(format!("n{i}")),
                        owner_id: ID(i.to_string()),
                        text: format!("note {i}"),
                        pinned: true,
                    })
                })
                .collect()
        }
        /// Memo i belongs to employee i and is shared with employee i - 1.
        async fn memos(&self, ctx: &Context<'_>) -> Vec<Option<Memo>> {
            (1..=self.owners).map(|i| Some(memo(ctx, i))).collect()
        }
        /// The memo `m<i>`.
        async fn memo(&self, ctx: &Context<'_>, id: ID) -> Option<Memo> {
            let i = id.strip_prefix('m')?.parse().ok()?;
            (1..=self.owners).contains(&i).then(|| memo(ctx, i))
        }
        /// Draft i belongs to employee i and is shared with employee i - 1.
        async fn drafts(&self, ctx: &Context<'_>) -> Vec<Draft> {
            (1..=self.owners)
                .map(|i| Draft {
                    id: ID(format!("d{i}")),
                    owner_id: ID(i.to_string()),
                    shared_with_viewer: shared(ctx, i),
                    body: Some(format!("draft {i}")),
                })
                .collect()
        }
    }

    pub fn schema(owners: i64) -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query { owners }, EmptyMutation, EmptySubscription).enable_federation().finish()
    }

    /// The subject of a bearer token, read without verifying it: the gateway verified it, and
    /// this is a test.
    fn subject(headers: &axum::http::HeaderMap) -> Option<i64> {
        let token = headers.get("authorization")?.to_str().ok()?.strip_prefix("Bearer ")?;
        braid_testkit::jwt::subject(token)?.parse().ok()
    }

    /// Serves the subgraph on a loopback port; returns its URL.
    pub async fn serve(owners: i64) -> String {
        let schema = schema(owners);
        let app = axum::Router::new().route(
            "/graphql",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::Json<async_graphql::Request>| {
                let schema = schema.clone();
                async move { axum::Json(schema.execute(body.0.data(Viewer(subject(&headers)))).await) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/graphql", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }
}

struct Stack {
    gateway: GraphqlClient,
    key_pem: String,
    kid: String,
    /// Stops the permissions subgraph (it is gone: connections refused).
    stop_permissions: Option<tokio::sync::oneshot::Sender<()>>,
    _db: TestDb,
    _redis: RedisPrefix,
}

const ISSUER: &str = "https://braid.local/";

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

impl Stack {
    /// The permissions subgraph with `org` (employee 1 is an admin) and a gateway in front.
    async fn start(org: &[Seeded]) -> Self {
        Self::start_with(org, "schema/supergraph.graphql", &[]).await
    }

    /// Like [`start`](Self::start), with another supergraph and more subgraph URLs.
    async fn start_with(org: &[Seeded], supergraph: &str, more: &[(&str, String)]) -> Self {
        let db = TestDb::create().await;
        let redis = RedisPrefix::new();
        let mut config = SubgraphConfig::default();
        config.database.url = db.url.clone();
        config.database.max_connections = 8;
        config.events.backend = EventsBackend::Memory;
        config.cache.backend = CacheBackend::Redis;
        config.cache.url = redis_prefix::url();
        config.cache.key_prefix = redis.prefix.clone();
        let cache_config = config.cache.clone();
        let infra = Infra::connect(braid_permissions::NAME, config, None).await.unwrap();
        let service = braid_permissions::service(infra).await.unwrap();
        seed::insert(&service.infra.db, org, |e| if e.id == 1 { "admin".into() } else { String::new() }).await.unwrap();
        let key = braid_permissions::entity::signing_key::Entity::find().one(&service.infra.db).await.unwrap().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let permissions = format!("http://{}", listener.local_addr().unwrap());
        let (stop_permissions, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(service.serve(listener, async move {
            let _ = stopped.await;
        }));

        let metrics = braid_kit::telemetry::prometheus().clone();
        let mut gw = braid_gateway::GatewayConfig::default();
        gw.subgraphs.entry("permissions".into()).or_default().url = Some(format!("{permissions}/graphql"));
        gw.auth.jwks_url = Some(format!("{permissions}/.well-known/jwks.json"));
        gw.auth.issuer = Some(ISSUER.into());
        gw.auth.audience = Some("braid".into());
        gw.access.cache = cache_config;
        for (name, url) in more {
            gw.subgraphs.entry(name.to_string()).or_default().url = Some(url.clone());
        }
        let sdl = std::fs::read_to_string(braid_testkit::repo_root().join(supergraph)).unwrap();
        let gateway = braid_gateway::gateway_from_sdl(gw, &sdl, None).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/graphql", listener.local_addr().unwrap());
        let router = braid_gateway::server::router(gateway, metrics);
        tokio::spawn(braid_gateway::server::serve(listener, None, router, std::future::pending()));
        let gateway = GraphqlClient::new(url);
        let stop_permissions = Some(stop_permissions);
        Self { gateway, key_pem: key.private_pem, kid: key.kid, stop_permissions, _db: db, _redis: redis }
    }

    /// A token the permissions subgraph could have issued to `employee`.
    fn token(&self, employee: i64, scopes: &str) -> String {
        self.sign(
            &self.kid.clone(),
            json!({
                "sub": employee.to_string(), "scope": scopes, "iss": ISSUER, "aud": "braid",
                "exp": now() + 600, "nbf": now() - 5, "iat": now(),
            }),
        )
    }

    fn sign(&self, kid: &str, claims: Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.into());
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_pem(self.key_pem.as_bytes()).unwrap()).unwrap()
    }

    async fn admin(&self, query: &str, variables: Value) -> Reply {
        let reply = self.gateway.query_as(&self.token(1, "admin"), query, variables).await;
        assert!(reply.body.get("errors").is_none(), "{query}: {}", reply.body);
        reply
    }
}

const EVERYONE: &str = "{ employees(first: 100) { edges { node { id scopes } } } }";

/// The employees whose owned fields the gateway showed.
fn shown(reply: &Reply) -> BTreeSet<i64> {
    reply.body["data"]["employees"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no employees in {}", reply.body))
        .iter()
        .filter(|e| !e["node"]["scopes"].is_null())
        .map(|e| e["node"]["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

/// The sum of a counter's samples in this process (`name{labels}`, see `braid_testkit::metrics`).
fn counter(series: &str) -> u64 {
    braid_testkit::metrics::sum(&braid_kit::telemetry::prometheus().render(), series)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_objects_of_a_hundred_owners_cost_one_lookup_round_trip() {
    let _serial = SERIAL.lock().await;
    // Everyone reports to employee 1; employee 2 sees only themself.
    let managers: Vec<Option<i64>> = (0..120).map(|i| if i == 0 { None } else { Some(1) }).collect();
    let stack = Stack::start(&seed::from_managers(&managers)).await;
    let lookups = "braid_access_source_requests_total{kind=\"check\"}";

    let before = counter(lookups);
    let reply = stack.gateway.query_as(&stack.token(1, ""), EVERYONE, json!({})).await;
    assert_eq!(shown(&reply).len(), 100, "{}", reply.body);
    assert_eq!(counter(lookups) - before, 1, "one round trip for 100 owners, cold");

    let before = counter(lookups);
    let again = stack.gateway.query_as(&stack.token(1, ""), EVERYONE, json!({})).await;
    assert_eq!(again.body, reply.body);
    assert_eq!(counter(lookups) - before, 0, "warm: answered from the cache");

    // Another viewer: their own answers, again one round trip, and errors where denied.
    let before = counter(lookups);
    let ic = stack.gateway.query_as(&stack.token(2, ""), EVERYONE, json!({})).await;
    assert_eq!(shown(&ic), BTreeSet::from([2]));
    assert_eq!(counter(lookups) - before, 1);
    let errors = ic.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 99);
    assert!(errors.iter().all(|e| e["extensions"]["code"] == "FORBIDDEN"));
    assert_eq!(errors[0]["path"], json!(["employees", "edges", 0, "node", "scopes"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_the_gateway_refuses_and_fields_it_takes_out() {
    let _serial = SERIAL.lock().await;
    let stack = Stack::start(&seed::from_managers(&[None, Some(1), Some(2)])).await;
    let me = "{ me { id } }";
    let claims = |exp: i64, aud: &str| json!({ "sub": "2", "iss": ISSUER, "aud": aud, "exp": exp, "nbf": now() - 5 });
    let other = braid_testkit::jwt::OTHER_PRIVATE_PEM;
    let foreign = |kid: &str, claims: Value| {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.into());
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_pem(other.as_bytes()).unwrap()).unwrap()
    };
    let b64 = |v: Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let jwks_n = {
        let jwk = braid_testkit::jwt::jwk(&stack.key_pem, &stack.kid);
        jwk["n"].as_str().unwrap().to_string()
    };
    let hs256 = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(stack.kid.clone());
        jsonwebtoken::encode(&header, &claims(now() + 600, "braid"), &EncodingKey::from_secret(jwks_n.as_bytes()))
            .unwrap()
    };
    // The classic confusion: HS256 with the issuer's public key, in PEM, as the shared secret.
    let hs256_pem = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(stack.kid.clone());
        let secret = braid_testkit::jwt::public_pem(&stack.key_pem);
        jsonwebtoken::encode(&header, &claims(now() + 600, "braid"), &EncodingKey::from_secret(secret.as_bytes()))
            .unwrap()
    };
    // Valid in ten minutes, beyond the verifier's 30 s leeway.
    let mut early = claims(now() + 1200, "braid");
    early["nbf"] = json!(now() + 600);
    let cases = [
        ("expired", stack.sign(&stack.kid.clone(), claims(now() - 600, "braid"))),
        ("not valid yet", stack.sign(&stack.kid.clone(), early)),
        ("HS256 signed with the public key PEM", hs256_pem),
        ("bad signature", foreign(&stack.kid, claims(now() + 600, "braid"))),
        (
            "alg none",
            format!("{}.{}.", b64(json!({"alg": "none", "kid": stack.kid})), b64(claims(now() + 600, "braid"))),
        ),
        ("HS256 signed with the RSA public key", hs256),
        ("unknown kid", foreign("someone-else", claims(now() + 600, "braid"))),
        ("wrong audience", stack.sign(&stack.kid.clone(), claims(now() + 600, "another-api"))),
    ];
    for (what, token) in &cases {
        let reply = stack.gateway.query_as(token, me, json!({})).await;
        assert_eq!(reply.status, 401, "{what}: {}", reply.body);
        assert_eq!(reply.code(), "INVALID_TOKEN", "{what}");
        assert!(reply.body.get("data").is_none(), "{what}: nothing served");
    }

    // Anonymous: @authenticated fields are taken out with an error at their path.
    let anonymous = stack.gateway.query(me, json!({})).await;
    assert_eq!(anonymous.status, 200);
    assert_eq!(
        anonymous.body,
        json!({ "data": { "me": null }, "errors": [{
        "message": "Query.me needs an authenticated request", "path": ["me"],
        "extensions": { "code": "UNAUTHENTICATED" } }] })
    );
    // Without the admin scope a mutation never reaches the subgraph.
    let denied = stack.gateway.query_as(&stack.token(3, ""), "mutation { deleteEmployee(id: \"3\") }", json!({})).await;
    assert_eq!(denied.code(), "FORBIDDEN");
    assert_eq!(denied.body["errors"][0]["path"], json!(["deleteEmployee"]));
    let still = stack.gateway.query_as(&stack.token(3, ""), me, json!({})).await;
    assert_eq!(still.data()["me"]["id"], "3");

    // A deleted employee's token stops working at once.
    let token = stack.token(3, "");
    stack.admin("mutation { deleteEmployee(id: \"3\") }", json!({})).await;
    let gone = stack.gateway.query_as(&token, me, json!({})).await;
    assert_eq!(gone.status, 401, "{}", gone.body);
    assert_eq!(gone.code(), "INVALID_TOKEN");
}

/// Random moves, grants, revocations and memberships made through the gateway; after each,
/// what the gateway shows every viewer equals the oracle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_gateway_shows_every_viewer_equals_the_oracle() {
    let _serial = SERIAL.lock().await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed_b4a1d);
    let n = 40i64;
    let managers: Vec<Option<i64>> = (0..n).map(|i| (i > 0).then(|| rng.random_range(1..=i))).collect();
    let stack = Stack::start(&seed::from_managers(&managers)).await;
    let mut model = Model::default();
    for (i, m) in managers.iter().enumerate() {
        model.manager.insert(i as i64 + 1, *m);
    }
    let mut groups = Vec::new();
    for g in 0..2 {
        let reply = stack
            .admin("mutation($n: String!) { createGroup(name: $n) { id } }", json!({ "n": format!("g{g}") }))
            .await;
        let id: i64 = reply.data()["createGroup"]["id"].as_str().unwrap().parse().unwrap();
        model.groups.insert(id, BTreeSet::new());
        groups.push(id);
    }
    let check = |model: &Model, step: usize| {
        let model = model.clone();
        let stack = &stack;
        async move {
            for viewer in model.employees() {
                let reply = stack.gateway.query_as(&stack.token(viewer, ""), EVERYONE, json!({})).await;
                assert_eq!(shown(&reply), model.visible(viewer), "step {step}: what viewer {viewer} is shown");
            }
        }
    };
    check(&model, 0).await;
    for step in 1..=20 {
        let a = rng.random_range(1..=n);
        let b = rng.random_range(1..=n);
        match rng.random_range(0..5) {
            0 => {
                let reply = stack
                    .gateway
                    .query_as(
                        &stack.token(1, "admin"),
                        "mutation($a: ID!, $b: ID) { moveEmployee(id: $a, managerId: $b) { id } }",
                        json!({ "a": a.to_string(), "b": b.to_string() }),
                    )
                    .await;
                if model.is_within(a, b) {
                    assert_eq!(reply.code(), "BAD_USER_INPUT", "a cycle is refused");
                } else {
                    assert!(reply.body.get("errors").is_none(), "{}", reply.body);
                    model.manager.insert(a, Some(b));
                }
            }
            1 | 2 => {
                let group = groups[rng.random_range(0..groups.len())];
                let grantee = if rng.random_bool(0.5) { Side::Employee(a) } else { Side::Group(group) };
                let include_reports = rng.random_bool(0.5);
                let input = match grantee {
                    Side::Employee(e) => {
                        json!({ "granteeEmployeeId": e.to_string(), "targetEmployeeId": b.to_string(), "includeReports": include_reports })
                    }
                    Side::Group(g) => {
                        json!({ "granteeGroupId": g.to_string(), "targetEmployeeId": b.to_string(), "includeReports": include_reports })
                    }
                };
                let reply = stack
                    .admin("mutation($i: GrantInput!) { createGrant(input: $i) { id } }", json!({ "i": input }))
                    .await;
                let id = reply.data()["createGrant"]["id"].as_str().unwrap().parse().unwrap();
                model.grants.insert(id, Grant { grantee, target: Side::Employee(b), include_reports });
            }
            3 => {
                let Some(&id) = model.grants.keys().nth(rng.random_range(0..model.grants.len().max(1))) else {
                    continue;
                };
                stack.admin("mutation($id: ID!) { revokeGrant(id: $id) }", json!({ "id": id.to_string() })).await;
                model.grants.remove(&id);
            }
            _ => {
                let group = groups[rng.random_range(0..groups.len())];
                let join = rng.random_bool(0.7);
                let mutation = if join { "addGroupMembers" } else { "removeGroupMembers" };
                let q =
                    format!("mutation($g: ID!, $e: [ID!]!) {{ {mutation}(groupId: $g, employeeIds: $e) {{ id }} }}");
                stack.admin(&q, json!({ "g": group.to_string(), "e": [a.to_string()] })).await;
                let members = model.groups.get_mut(&group).unwrap();
                if join {
                    members.insert(a);
                } else {
                    members.remove(&a);
                }
            }
        }
        check(&model, step).await;
    }
}

#[test]
fn the_notes_sdl_is_the_committed_one() {
    let sdl = braid_kit::federation::sdl(&notes::schema(0));
    let path = braid_testkit::repo_root().join("tests/subgraphs/schema/notes.graphql");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, &sdl).unwrap();
    }
    assert!(
        std::fs::read_to_string(&path).unwrap_or_default() == sdl,
        "tests/subgraphs/schema/notes.graphql is out of date: rerun with BLESS=1, then scripts/compose.sh"
    );
}

/// A type-level mark: every note is checked against its owner, one round trip for all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owned_objects_the_viewer_may_not_see_are_nulled_with_forbidden() {
    let _serial = SERIAL.lock().await;
    // 1 manages 2 and 3; 2 manages 4.
    let notes_url = notes::serve(4).await;
    let stack = Stack::start_with(
        &seed::from_managers(&[None, Some(1), Some(1), Some(2)]),
        "tests/subgraphs/supergraphs/access.graphql",
        &[("notes", notes_url)],
    )
    .await;
    let query = "{ notes { id text } }";
    let lookups = "braid_access_source_requests_total{kind=\"check\"}";
    let before = counter(lookups);
    let two = stack.gateway.query_as(&stack.token(2, ""), query, json!({})).await;
    assert_eq!(counter(lookups) - before, 1, "one lookup for the four owners");
    assert_eq!(
        two.body,
        json!({
            "data": { "notes": [null, { "id": "n2", "text": "note 2" }, null, { "id": "n4", "text": "note 4" }] },
            "errors": [
                { "message": "not allowed to see this Note", "path": ["notes", 0], "extensions": { "code": "FORBIDDEN" } },
                { "message": "not allowed to see this Note", "path": ["notes", 2], "extensions": { "code": "FORBIDDEN" } }
            ]
        })
    );
    let top = stack.gateway.query_as(&stack.token(1, ""), query, json!({})).await;
    assert_eq!(top.data()["notes"].as_array().unwrap().len(), 4);
    assert!(top.data()["notes"].as_array().unwrap().iter().all(|n| !n.is_null()));
    // Anonymous: no viewer, nothing owned is shown, and no lookup is made.
    let before = counter(lookups);
    let anonymous = stack.gateway.query(query, json!({})).await;
    assert_eq!(anonymous.body["data"]["notes"], json!([null, null, null, null]));
    assert_eq!(anonymous.body["errors"].as_array().unwrap().len(), 4);
    assert_eq!(counter(lookups) - before, 0);
}

/// `@ownedBy(unless:)`: an object shared with the viewer is shown without its owner being
/// looked up; one neither visible nor shared is nulled as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_shared_with_the_viewer_are_shown_without_an_owner_check() {
    let _serial = SERIAL.lock().await;
    // 1 manages 2 and 3; 2 manages 4. Item i is shared with employee i - 1.
    let notes_url = notes::serve(4).await;
    let stack = Stack::start_with(
        &seed::from_managers(&[None, Some(1), Some(1), Some(2)]),
        "tests/subgraphs/supergraphs/access.graphql",
        &[("notes", notes_url)],
    )
    .await;
    let lookups = "braid_access_source_requests_total{kind=\"check\"}";
    // Every owner the gateway asks about is a cache hit or a miss.
    let asked = || counter("braid_access_cache_hits_total") + counter("braid_access_cache_misses_total");

    // 3 sees only themself, but memo 4 is shared with them: no lookup at all.
    let (before, asked_before) = (counter(lookups), asked());
    let three = stack.gateway.query_as(&stack.token(3, ""), "{ memo(id: \"m4\") { id text } }", json!({})).await;
    assert_eq!(three.body, json!({ "data": { "memo": { "id": "m4", "text": "memo 4" } } }));
    assert_eq!((counter(lookups) - before, asked() - asked_before), (0, 0), "a shared memo asks nothing");
    // Not shared with them: checked and denied, as without `unless`.
    let (before, asked_before) = (counter(lookups), asked());
    let denied = stack.gateway.query_as(&stack.token(3, ""), "{ memo(id: \"m2\") { id } }", json!({})).await;
    assert_eq!(
        denied.body,
        json!({ "data": { "memo": null }, "errors": [
            { "message": "not allowed to see this Memo", "path": ["memo"], "extensions": { "code": "FORBIDDEN" } }
        ] })
    );
    assert_eq!((counter(lookups) - before, asked() - asked_before), (1, 1));

    // 2 sees 2 and 4; memo 3 is shared with them, memo 1 is neither. Owners 1, 2 and 4 are
    // asked about in one round trip; 3 is not. Neither private key shows.
    let (before, asked_before) = (counter(lookups), asked());
    let two = stack.gateway.query_as(&stack.token(2, ""), "{ memos { id text } }", json!({})).await;
    assert_eq!(
        two.body,
        json!({
            "data": { "memos": [null, { "id": "m2", "text": "memo 2" }, { "id": "m3", "text": "memo 3" }, { "id": "m4", "text": "memo 4" }] },
            "errors": [
                { "message": "not allowed to see this Memo", "path": ["memos", 0], "extensions": { "code": "FORBIDDEN" } }
            ]
        })
    );
    assert_eq!((counter(lookups) - before, asked() - asked_before), (1, 3), "owner 3 not asked about");

    // A field-level mark with `unless`.
    let drafts = stack.gateway.query_as(&stack.token(2, ""), "{ drafts { id body } }", json!({})).await;
    assert_eq!(
        drafts.body,
        json!({
            "data": { "drafts": [
                { "id": "d1", "body": null }, { "id": "d2", "body": "draft 2" },
                { "id": "d3", "body": "draft 3" }, { "id": "d4", "body": "draft 4" }
            ] },
            "errors": [
                { "message": "not allowed to see Draft.body here", "path": ["drafts", 0, "body"], "extensions": { "code": "FORBIDDEN" } }
            ]
        })
    );
    // Anonymous: nothing is shared with nobody, nothing is looked up.
    let before = counter(lookups);
    let anonymous = stack.gateway.query("{ memos { id } }", json!({})).await;
    assert_eq!(anonymous.body["data"]["memos"], json!([null, null, null, null]));
    assert_eq!(counter(lookups) - before, 0);

    // A client cannot pass values of its own off as the gateway's: its private keys are
    // refused as response keys anywhere in an operation.
    for query in [
        "{ notes { id _braidShared: pinned } }",
        "{ memos { ... on Memo { _braidShared: pinned } } }",
        "query { notes { ...N } } fragment N on Note { _braidOwner: id }",
    ] {
        let spoof = stack.gateway.query_as(&stack.token(2, ""), query, json!({})).await;
        assert_eq!(spoof.code(), "GRAPHQL_VALIDATION_FAILED", "{query}: {}", spoof.body);
        assert!(spoof.body.get("data").is_none(), "{query}: {}", spoof.body);
    }
}

/// Authorization fails closed: with the permissions subgraph gone, owned objects whose owner
/// the viewer has not been checked against are nulled with FORBIDDEN, never shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_permissions_subgraph_gone_owned_objects_are_forbidden_not_shown() {
    let _serial = SERIAL.lock().await;
    // 1 manages 2 and 3; 2 manages 4.
    let notes_url = notes::serve(4).await;
    let mut stack = Stack::start_with(
        &seed::from_managers(&[None, Some(1), Some(1), Some(2)]),
        "tests/subgraphs/supergraphs/access.graphql",
        &[("notes", notes_url)],
    )
    .await;
    let query = "{ notes { id text } }";
    // Served: the gateway has the issuer's keys, and 3 sees its own note only.
    let three = stack.gateway.query_as(&stack.token(3, ""), query, json!({})).await;
    assert_eq!(three.body["data"]["notes"][2], json!({ "id": "n3", "text": "note 3" }), "{}", three.body);

    stack.stop_permissions.take().unwrap().send(()).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // 1 may see every note, but nothing can confirm it now.
    let one = stack.gateway.query_as(&stack.token(1, ""), query, json!({})).await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(one.body["data"]["notes"], json!([null, null, null, null]), "{}", one.body);
    let errors = one.body["errors"].as_array().unwrap_or_else(|| panic!("errors in {}", one.body));
    assert_eq!(errors.len(), 4, "{}", one.body);
    assert!(errors.iter().all(|e| e["extensions"]["code"] == "FORBIDDEN"), "{}", one.body);
}

/// A grant with an expiry stops granting when it expires, though its answer was cached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiring_grant_stops_granting_when_it_expires_even_from_the_cache() {
    let _serial = SERIAL.lock().await;
    // 1 manages 2 and 3: 2 does not see 3 by the hierarchy.
    let stack = Stack::start(&seed::from_managers(&[None, Some(1), Some(1)])).await;
    let two = stack.token(2, "");
    assert!(!shown(&stack.gateway.query_as(&two, EVERYONE, json!({})).await).contains(&3));
    // Long enough for the cached second answer to come before it, on a loaded machine too
    // (at 3 s a slow first round left the cache nothing to answer from).
    let expires = chrono::Utc::now() + chrono::TimeDelta::seconds(10);
    let input = json!({ "granteeEmployeeId": "2", "targetEmployeeId": "3", "expiresAt": expires.to_rfc3339() });
    stack.admin("mutation($i: GrantInput!) { createGrant(input: $i) { id } }", json!({ "i": input })).await;

    let lookups = "braid_access_source_requests_total";
    let granted = braid_testkit::eventually("the grant to show 3 to 2", std::time::Duration::from_secs(10), || async {
        let seen = shown(&stack.gateway.query_as(&two, EVERYONE, json!({})).await);
        seen.contains(&3).then_some(())
    });
    granted.await;
    // Asked again before it expires, the answer comes from the cache: once the grant's own
    // event has voided what was cached before it (it may arrive after the first answer that
    // showed 3), a query costs no lookup.
    let cached = braid_testkit::eventually("an answer from the cache", std::time::Duration::from_secs(5), || async {
        let before = counter(lookups);
        assert!(shown(&stack.gateway.query_as(&two, EVERYONE, json!({})).await).contains(&3), "before it expires");
        (counter(lookups) == before).then_some(())
    });
    cached.await;

    let left = expires - chrono::Utc::now();
    tokio::time::sleep(left.to_std().unwrap_or_default() + std::time::Duration::from_millis(500)).await;
    let after = shown(&stack.gateway.query_as(&two, EVERYONE, json!({})).await);
    assert!(!after.contains(&3), "the expired grant still shows 3 to 2: {after:?}");
}
