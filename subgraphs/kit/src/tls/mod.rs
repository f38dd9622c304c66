//! TLS with rustls: server and client configurations read from PEM files, and a listener that
//! serves axum over TLS.
//!
//! One crypto provider (ring) is named explicitly rather than installed process-wide, so that
//! nothing depends on which of rustls's providers some other crate happened to enable.

mod listener;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

pub use listener::TlsListener;

use crate::config::{ClientTlsConfig, ServerTlsConfig};

/// TLS that cannot be set up from the configured files.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("tls: cannot read {path}: {source}")]
    Read { path: PathBuf, source: rustls::pki_types::pem::Error },
    #[error("tls: {path} holds no certificate")]
    NoCertificate { path: PathBuf },
    #[error("tls: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("tls: http client: {0}")]
    Client(String),
    #[error("tls: client certificate verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let read = |source| TlsError::Read { path: path.to_path_buf(), source };
    let certs = CertificateDer::pem_file_iter(path).map_err(read)?.collect::<Result<Vec<_>, _>>().map_err(read)?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate { path: path.to_path_buf() });
    }
    Ok(certs)
}

fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|source| TlsError::Read { path: path.to_path_buf(), source })
}

fn roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut store = RootCertStore::empty();
    for cert in certificates(path)? {
        store.add(cert)?;
    }
    Ok(store)
}

/// A listener's TLS, read from its files.
#[derive(Clone)]
pub struct ServerTls {
    pub config: Arc<ServerConfig>,
    pub handshake_timeout: Duration,
}

impl ServerTls {
    /// `config`'s TLS, or `None` when it leaves TLS off.
    pub fn load(config: &ServerTlsConfig) -> Result<Option<Self>, TlsError> {
        let handshake_timeout = Duration::from_millis(config.handshake_timeout_ms);
        Ok(server_config(config)?.map(|config| Self { config, handshake_timeout }))
    }

    /// `inner`'s connections over this TLS.
    pub fn listener<L>(&self, inner: L) -> TlsListener<L>
    where
        L: axum::serve::Listener,
        L::Addr: Clone + Send + std::fmt::Debug + 'static,
    {
        TlsListener::new(inner, self.config.clone(), self.handshake_timeout)
    }
}

/// Serves `router` on `listener`, over `tls` when given, until `shutdown` resolves; then
/// releases the port and lets requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    tls: Option<ServerTls>,
    router: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    match tls {
        Some(tls) => axum::serve(tls.listener(listener), router).with_graceful_shutdown(shutdown).await,
        None => axum::serve(listener, router).with_graceful_shutdown(shutdown).await,
    }
}

/// A listener's rustls configuration, or `None` when `config` leaves TLS off. HTTP/1.1 only,
/// as the servers speak it.
pub fn server_config(config: &ServerTlsConfig) -> Result<Option<Arc<ServerConfig>>, TlsError> {
    let (Some(cert), Some(key)) = (&config.cert_path, &config.key_path) else { return Ok(None) };
    let builder = ServerConfig::builder_with_provider(provider()).with_safe_default_protocol_versions()?;
    let builder = match &config.client_ca_path {
        Some(ca) => {
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots(ca)?), provider()).build()?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut server = builder.with_single_cert(certificates(cert)?, private_key(key)?)?;
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(Arc::new(server)))
}

/// The TLS of outgoing calls: the public roots plus the configured CA, and the configured
/// client certificate for servers that ask for one.
pub fn client_config(config: &ClientTlsConfig) -> Result<ClientConfig, TlsError> {
    let mut store = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Some(ca) = &config.ca_path {
        for cert in certificates(ca)? {
            store.add(cert)?;
        }
    }
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(store);
    let client = match (&config.cert_path, &config.key_path) {
        (Some(cert), Some(key)) => builder.with_client_auth_cert(certificates(cert)?, private_key(key)?)?,
        _ => builder.with_no_client_auth(),
    };
    Ok(client)
}

/// An HTTP client whose TLS is `config`'s and whose requests time out after `timeout`.
pub fn http_client(config: &ClientTlsConfig, timeout: Duration) -> Result<reqwest::Client, TlsError> {
    let builder = reqwest::Client::builder().use_preconfigured_tls(client_config(config)?).timeout(timeout);
    builder.build().map_err(|e| TlsError::Client(e.to_string()))
}
