//! TLS of listeners and of outgoing HTTP calls.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ConfigError;

/// TLS on a listener: off unless a certificate and its key are given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ServerTlsConfig {
    /// PEM certificate chain, the server's own certificate first.
    pub cert_path: Option<PathBuf>,
    /// PEM private key of that certificate (PKCS#8, PKCS#1 or SEC1).
    pub key_path: Option<PathBuf>,
    /// PEM CA certificates; when set, every client must present a certificate one of them
    /// signed (mutual TLS), and a client without one is refused during the handshake.
    pub client_ca_path: Option<PathBuf>,
    /// Longest a client may take over the handshake, in milliseconds.
    pub handshake_timeout_ms: u64,
}

impl Default for ServerTlsConfig {
    fn default() -> Self {
        Self { cert_path: None, key_path: None, client_ca_path: None, handshake_timeout_ms: 10_000 }
    }
}

impl ServerTlsConfig {
    /// Is TLS on?
    pub fn enabled(&self) -> bool {
        self.cert_path.is_some()
    }

    /// Refuses half a configuration: a certificate without its key or the other way round,
    /// or client certificates asked for on a listener without TLS.
    pub fn check(&self, key: &'static str) -> Result<(), ConfigError> {
        match (&self.cert_path, &self.key_path, &self.client_ca_path) {
            (Some(_), None, _) => Err(ConfigError::invalid(key, "cert_path is set but key_path is not")),
            (None, Some(_), _) => Err(ConfigError::invalid(key, "key_path is set but cert_path is not")),
            (None, None, Some(_)) => {
                Err(ConfigError::invalid(key, "client_ca_path needs TLS on: set cert_path and key_path"))
            }
            _ => Ok(()),
        }
    }
}

/// TLS of the HTTP and WebSocket calls this process makes to `https://` and `wss://` URLs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ClientTlsConfig {
    /// PEM CA certificates trusted besides the public roots (a private CA's).
    pub ca_path: Option<PathBuf>,
    /// PEM certificate chain this process presents when a server asks for one (mutual TLS).
    pub cert_path: Option<PathBuf>,
    /// PEM private key of that certificate.
    pub key_path: Option<PathBuf>,
}

impl ClientTlsConfig {
    /// Refuses a client certificate without its key, or a key without its certificate.
    pub fn check(&self, key: &'static str) -> Result<(), ConfigError> {
        match (&self.cert_path, &self.key_path) {
            (Some(_), None) => Err(ConfigError::invalid(key, "cert_path is set but key_path is not")),
            (None, Some(_)) => Err(ConfigError::invalid(key, "key_path is set but cert_path is not")),
            _ => Ok(()),
        }
    }
}
