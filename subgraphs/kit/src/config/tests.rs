use figment::Figment;
use figment::providers::{Format, Serialized, Toml};

use super::*;

fn from_toml(text: &str) -> Result<SubgraphConfig, ConfigError> {
    let figment = Figment::from(Serialized::defaults(SubgraphConfig::default())).merge(Toml::string(text));
    let config: SubgraphConfig = figment.extract().map_err(ConfigError::Parse)?;
    config.validate()?;
    Ok(config)
}

#[test]
fn unknown_key_is_named() {
    let err = from_toml("[database]\nurl = \"sqlite::memory:\"\nmax_conections = 3\n").unwrap_err();
    let text = err.to_string();
    assert!(text.contains("max_conections"), "{text}");
    assert!(text.contains("database"), "{text}");
}

#[test]
fn unknown_section_is_named() {
    let err = from_toml("[databse]\nurl = \"x\"\n").unwrap_err();
    assert!(err.to_string().contains("databse"), "{err}");
}

#[test]
fn bad_value_is_named() {
    let err = from_toml("[events]\nmax_attempts = 0\n").unwrap_err();
    assert!(err.to_string().contains("events.max_attempts"), "{err}");
    let err = from_toml("[cache]\nbackend = \"memcached\"\n").unwrap_err();
    assert!(err.to_string().contains("cache.backend"), "{err}");
    let err = from_toml("[server]\nlisten = \"not an address\"\n").unwrap_err();
    assert!(err.to_string().contains("server.listen"), "{err}");
}

#[test]
fn file_values_apply() {
    let config = from_toml("[cache]\nbackend = \"redis\"\nttl_secs = 9\n").unwrap();
    assert_eq!(config.cache.backend, CacheBackend::Redis);
    assert_eq!(config.cache.ttl_secs, 9);
}

#[test]
fn schema_lists_every_section() {
    let schema = json_schema().to_string();
    for key in ["server", "database", "events", "cache", "auth", "relay_batch", "key_prefix"] {
        assert!(schema.contains(key), "{key} missing");
    }
}
