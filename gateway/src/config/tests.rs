use super::*;
use figment::providers::{Format, Toml};

fn from_toml(text: &str) -> Result<GatewayConfig, GatewayError> {
    let figment = Figment::from(Serialized::defaults(GatewayConfig::default())).merge(Toml::string(text));
    let config: GatewayConfig = figment.extract().map_err(|e| GatewayError::Config(braid_kit::config::describe(&e)))?;
    config.validate()?;
    Ok(config)
}

#[test]
fn unknown_key_is_named() {
    let error = from_toml("[limits]\nmax_dept = 3\n").unwrap_err().to_string();
    assert!(error.contains("max_dept"), "{error}");
}

#[test]
fn subgraph_overrides_parse() {
    let config = from_toml("[subgraphs.accounts]\nurl = \"http://127.0.0.1:9/graphql\"\ntimeout_ms = 50\n").unwrap();
    assert_eq!(config.subgraphs["accounts"].timeout_ms, Some(50));
}

#[test]
fn a_permission_cache_nobody_can_invalidate_is_refused() {
    assert_eq!(GatewayConfig::default().access.cache.backend, braid_kit::config::CacheBackend::None);
    let error = from_toml("[access.cache]\nbackend = \"memory\"\n").unwrap_err().to_string();
    assert!(error.contains("access.cache.backend"), "{error}");
    let redis = from_toml("[access.cache]\nbackend = \"redis\"\nkey_prefix = \"p:\"\n").unwrap();
    assert_eq!(redis.access.cache.key_prefix, "p:");
}

#[test]
fn relative_subgraph_url_is_refused() {
    let error = from_toml("[subgraphs.accounts]\nurl = \"/graphql\"\n").unwrap_err().to_string();
    assert!(error.contains("subgraphs.accounts.url"), "{error}");
    let error = from_toml("[subgraphs.accounts]\nsubscription_url = \"http://127.0.0.1:9/ws\"\n").unwrap_err();
    assert!(error.to_string().contains("subgraphs.accounts.subscription_url"), "{error}");
    let config = from_toml("[subgraphs.accounts]\nsubscription_url = \"wss://a.example/ws\"\n").unwrap();
    assert_eq!(config.subgraphs["accounts"].subscription_url.as_deref(), Some("wss://a.example/ws"));
}

#[test]
fn schema_lists_every_section() {
    let schema = json_schema().to_string();
    for section in ["server", "supergraph", "subgraphs", "limits", "headers", "traffic", "persisted", "web"] {
        assert!(schema.contains(section), "{section}");
    }
}

#[test]
fn the_web_app_is_on_unless_switched_off() {
    assert!(GatewayConfig::default().web.enabled);
    assert!(!from_toml("[web]\nenabled = false\n").unwrap().web.enabled);
    let error = from_toml("[web]\nenable = false\n").unwrap_err().to_string();
    assert!(error.contains("web.enable"), "{error}");
}

#[test]
fn rate_limits_are_off_unless_asked_and_every_bucket_must_hold_and_refill() {
    assert_eq!(GatewayConfig::default().rate_limit.backend, RateLimitBackend::None);
    let config = from_toml(
        "[rate_limit]\nbackend = \"memory\"\n[rate_limit.operations.Checkout]\ncapacity = 2\nper_second = 0.1\n",
    )
    .unwrap();
    assert_eq!(config.rate_limit.operations["Checkout"], Bucket { capacity: 2, per_second: 0.1 });
    let error = from_toml("[rate_limit.subgraphs.orders]\ncapacity = 0\nper_second = 1.0\n").unwrap_err().to_string();
    assert!(error.contains("rate_limit.subgraphs.orders.capacity"), "{error}");
    let error = from_toml("[rate_limit.client]\ncapacity = 5\nper_second = -1.0\n").unwrap_err().to_string();
    assert!(error.contains("rate_limit.client.per_second"), "{error}");
    // A bucket given in part keeps the default of the rest.
    assert_eq!(from_toml("[rate_limit.client]\ncapacity = 5\n").unwrap().rate_limit.client.per_second, 100.0);
    let error = from_toml("[rate_limit]\nbackend = \"disk\"\n").unwrap_err().to_string();
    assert!(error.contains("rate_limit.backend"), "{error}");
}

#[test]
fn the_entity_cache_is_off_unless_asked_and_its_endpoint_needs_a_real_secret_and_path() {
    assert_eq!(GatewayConfig::default().entity_cache.backend, EntityCacheBackend::None);
    let config = from_toml(
        "[entity_cache]\nbackend = \"redis\"\n[entity_cache.subgraphs.orders]\nenabled = false\n\
         [entity_cache.type_events]\n\"permissions.grant\" = [\"Document\"]\n",
    )
    .unwrap();
    assert_eq!(config.entity_cache.subgraphs["orders"].enabled, Some(false));
    assert_eq!(config.entity_cache.type_events["permissions.grant"], ["Document"]);
    for (toml, key) in [
        ("[entity_cache.invalidation]\ntoken = \"short\"\n", "entity_cache.invalidation.token"),
        ("[entity_cache.invalidation]\npath = \"/graphql\"\n", "entity_cache.invalidation.path"),
        ("[entity_cache]\nmax_ttl_secs = 0\n", "entity_cache.max_ttl_secs"),
        ("[entity_cache.subgraphs.catalog]\nttl = 5\n", "ttl"),
    ] {
        let error = from_toml(toml).unwrap_err().to_string();
        assert!(error.contains(key), "{toml}: {error}");
    }
}
