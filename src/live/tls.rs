//! Real TLS for the live ports (RFC 3207 STARTTLS on 25/587, RFC 8314
//! implicit TLS on 465): rustls with a self-signed certificate made when
//! `serve` starts. Its SHA-256 fingerprint is printed so that a student can
//! compare it with what the mail client shows before trusting it.

use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The server side of TLS, shared by every live connection.
pub struct Tls {
    pub config: Arc<ServerConfig>,
    /// SHA-256 of the certificate (DER), as `AB:CD:…`.
    pub fingerprint: String,
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot make the self-signed certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("cannot set up TLS: {0}")]
    Config(#[from] rustls::Error),
}

/// A self-signed certificate for `names` (the simulated servers' host
/// names and `localhost`) and the configuration that serves it.
pub fn self_signed(names: Vec<String>) -> Result<Tls, TlsError> {
    let made = rcgen::generate_simple_self_signed(names)?;
    let der: CertificateDer<'static> = made.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.signing_key.serialize_der()));
    let digest = ring::digest::digest(&ring::digest::SHA256, der.as_ref());
    let fingerprint = digest.as_ref().iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![der], key)?;
    Ok(Tls { config: Arc::new(config), fingerprint })
}
