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

#[test]
fn telemetry_settings_that_cannot_work_are_named() {
    for (text, why) in [
        ("[telemetry]\notlp_endpoint = \"collector:4318\"\n", "otlp_endpoint"),
        ("[telemetry]\nsampling_ratio = 1.5\n", "sampling_ratio"),
        ("[telemetry]\nexport_interval_ms = 0\n", "export_interval_ms"),
        ("[telemetry]\nsampling = 0.5\n", "sampling"),
    ] {
        let err = from_toml(text).unwrap_err().to_string();
        assert!(err.contains("telemetry") && err.contains(why), "{text}: {err}");
    }
    let config = from_toml("[telemetry]\notlp_endpoint = \"http://127.0.0.1:4318\"\nsampling_ratio = 0.01\n").unwrap();
    assert!(config.telemetry.enabled());
    assert_eq!(config.telemetry.sampling_ratio, 0.01);
    assert!(!SubgraphConfig::default().telemetry.enabled(), "traces are off by default");
}
