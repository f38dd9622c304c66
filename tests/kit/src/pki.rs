//! A private PKI per test: a CA, a server certificate for `localhost` and `127.0.0.1`, and a
//! client certificate, as PEM files in a directory removed when the [`Pki`] drops; and a
//! second, unrelated CA with its own certificates, for what must be refused.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

/// PEM files of one CA and the certificates it signed.
pub struct Pki {
    dir: PathBuf,
    /// The CA's certificate (what a peer trusts).
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

impl Pki {
    /// A CA named `name` and its server and client certificates, in a fresh directory.
    pub fn generate(name: &str) -> Self {
        let dir = std::env::temp_dir().join(crate::unique(&format!("braid-pki-{name}-")));
        std::fs::create_dir_all(&dir).expect("a directory for the certificates");
        let ca_key = KeyPair::generate().expect("a CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name = named(&format!("Braid test CA {name}"));
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca_params.self_signed(&ca_key).expect("the CA certificate");
        let issuer = Issuer::new(ca_params, ca_key);

        let mut server = CertificateParams::new(vec!["localhost".to_string()]).expect("server parameters");
        server.subject_alt_names.push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        server.distinguished_name = named("localhost");
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_key = KeyPair::generate().expect("a server key");
        let server_cert = server.signed_by(&server_key, &issuer).expect("the server certificate");

        let mut client = CertificateParams::new(Vec::<String>::new()).expect("client parameters");
        client.distinguished_name = named(&format!("braid-gateway ({name})"));
        client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let client_key = KeyPair::generate().expect("a client key");
        let client_cert = client.signed_by(&client_key, &issuer).expect("the client certificate");

        let write = |file: &str, pem: String| {
            let path = dir.join(file);
            std::fs::write(&path, pem).expect("a PEM file");
            path
        };
        Self {
            ca: write("ca.pem", ca_cert.pem()),
            server_cert: write("server.pem", server_cert.pem()),
            server_key: write("server.key", server_key.serialize_pem()),
            client_cert: write("client.pem", client_cert.pem()),
            client_key: write("client.key", client_key.serialize_pem()),
            dir,
        }
    }

    /// The directory the files are in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// An HTTP client that trusts this CA and, with `identify`, presents its client certificate.
    pub fn http_client(&self, identify: bool) -> reqwest::Client {
        let mut builder = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&std::fs::read(&self.ca).unwrap()).unwrap())
            .timeout(std::time::Duration::from_secs(10));
        if identify {
            let mut pem = std::fs::read(&self.client_cert).unwrap();
            pem.extend(std::fs::read(&self.client_key).unwrap());
            builder = builder.identity(reqwest::Identity::from_pem(&pem).unwrap());
        }
        builder.build().expect("an HTTP client")
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn named(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name
}
