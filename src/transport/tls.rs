//! The TLS settings of [`UreqTransport`](crate::UreqTransport): where CA bundles and the client
//! identity come from, and how they are read, checked (by rustls) and turned into ureq's
//! [`TlsConfig`].

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use ::ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use rustls::RootCertStore;

use crate::error::Error;

/// The TLS settings of a [`UreqTransportBuilder`](crate::UreqTransportBuilder), read and
/// checked by [`TlsSettings::config`].
#[derive(Clone, Debug, Default)]
pub(crate) struct TlsSettings {
    pub(crate) ca_bundles: Vec<Material>,
    pub(crate) replace_roots: bool,
    /// The certificate chain and the private key.
    pub(crate) client_identity: Option<(Material, Material)>,
    pub(crate) danger_accept_invalid_certs: bool,
}

/// PEM given in memory or by path; read and checked in [`TlsSettings::config`].
#[derive(Clone)]
pub(crate) enum Material {
    Pem(Vec<u8>),
    Path(PathBuf),
}

impl fmt::Debug for Material {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Material::Pem(pem) => write!(f, "<{} bytes of PEM>", pem.len()),
            Material::Path(path) => write!(f, "{:?}", path),
        }
    }
}

impl TlsSettings {
    /// Reads and checks the material: ureq's TLS configuration, or an [`Error::Config`] that
    /// names the material's source but quotes none of it.
    pub(crate) fn config(&self) -> Result<TlsConfig, Error> {
        let mut bundle = Vec::new();
        for source in &self.ca_bundles {
            bundle.extend(source.certificates("CA bundle")?);
        }
        let roots = if bundle.is_empty() || self.danger_accept_invalid_certs {
            RootCerts::WebPki
        } else {
            if !self.replace_roots {
                // The roots ureq trusts by default (Mozilla's), as certificates: one store
                // trusts a chain that ends at a root of either set.
                let builtin = webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter();
                bundle.extend(builtin.map(|der| Certificate::from_der(der.as_ref())));
            }
            RootCerts::from(bundle)
        };
        let client_cert = match &self.client_identity {
            None => None,
            Some((cert, key)) => Some(client_cert(cert, key)?),
        };
        Ok(TlsConfig::builder()
            .root_certs(roots)
            .client_cert(client_cert)
            .disable_verification(self.danger_accept_invalid_certs)
            .build())
    }
}

impl Material {
    /// Where it comes from, for error messages (never its content).
    fn describe(&self, what: &str) -> String {
        match self {
            Material::Pem(_) => format!("the {what} PEM"),
            Material::Path(path) => format!("the {what} file {}", path.display()),
        }
    }

    fn read(&self, what: &str) -> Result<Vec<u8>, Error> {
        match self {
            Material::Pem(pem) => Ok(pem.clone()),
            Material::Path(path) => std::fs::read(path).map_err(|err| {
                Error::config(format!("cannot read {}: {err}", self.describe(what)))
            }),
        }
    }

    /// The PEM items, or a message that names the source but quotes none of it.
    fn items(&self, what: &str) -> Result<Vec<PemItem<'static>>, Error> {
        let pem = self.read(what)?;
        if pem.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::config(format!("{} is empty", self.describe(what))));
        }
        ::ureq::tls::parse_pem(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| Error::config(format!("{} is not valid PEM", self.describe(what))))
    }

    /// The certificates, each one X.509 as rustls reads it.
    fn certificates(&self, what: &str) -> Result<Vec<Certificate<'static>>, Error> {
        let certs: Vec<_> = self
            .items(what)?
            .into_iter()
            .filter_map(|item| match item {
                PemItem::Certificate(cert) => Some(cert),
                _ => None,
            })
            .collect();
        if certs.is_empty() {
            return Err(Error::config(format!(
                "{} holds no certificate (no `BEGIN CERTIFICATE` block)",
                self.describe(what)
            )));
        }
        for (i, cert) in certs.iter().enumerate() {
            // How ureq reads a root certificate; lenient enough for any X.509 version.
            if RootCertStore::empty()
                .add(CertificateDer::from(cert.der()))
                .is_err()
            {
                return Err(Error::config(format!(
                    "certificate {} in {} is not a valid X.509 certificate",
                    i + 1,
                    self.describe(what)
                )));
            }
        }
        Ok(certs)
    }

    fn private_key(&self) -> Result<PrivateKey<'static>, Error> {
        let mut keys = self
            .items("client key")?
            .into_iter()
            .filter_map(|item| match item {
                PemItem::PrivateKey(key) => Some(key),
                _ => None,
            });
        let key = keys.next().ok_or_else(|| {
            Error::config(format!(
                "{} holds no private key (an unencrypted PKCS#8, PKCS#1 or SEC1 PEM block)",
                self.describe("client key")
            ))
        })?;
        if keys.next().is_some() {
            return Err(Error::config(format!(
                "{} holds more than one private key",
                self.describe("client key")
            )));
        }
        Ok(key)
    }
}

/// Reads a client certificate chain and its key, and has rustls check that it can sign with
/// the key and that the key is the certificate's.
fn client_cert(cert: &Material, key: &Material) -> Result<ClientCert, Error> {
    let chain = cert.certificates("client certificate")?;
    let private_key = key.private_key()?;
    let unusable_key = |why: &dyn fmt::Display| {
        Error::config(format!(
            "unusable client key ({}): {why}",
            key.describe("client key")
        ))
    };
    // The encoding from the DER itself (ureq does not export the kind it read from the PEM).
    let key_der = PrivateKeyDer::try_from(private_key.der().to_vec())
        .map_err(|why| unusable_key(&format_args!("the private key is malformed ({why})")))?;
    let chain_der = chain
        .iter()
        .map(|cert| CertificateDer::from(cert.der().to_vec()))
        .collect();
    match CertifiedKey::from_der(chain_der, key_der, &provider()) {
        Ok(_) => Ok(ClientCert::new_with_certs(&chain, private_key)),
        Err(rustls::Error::InconsistentKeys(_)) => Err(Error::config(format!(
            "the client private key does not match the public key of {}",
            cert.describe("client certificate")
        ))),
        // rustls says only that it could not read the key: say which keys it can use.
        Err(rustls::Error::General(why)) => Err(unusable_key(&format_args!(
            "{why}; the TLS library signs with RSA keys of 2048 bits or more, ECDSA keys on \
             P-256 and P-384, and Ed25519 keys"
        ))),
        Err(err) => Err(Error::config(format!(
            "unusable client identity ({}): {err}",
            cert.describe("client certificate")
        ))),
    }
}

/// The crypto provider ureq will use: the process default if one is installed, else ring.
fn provider() -> Arc<CryptoProvider> {
    CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()))
}
