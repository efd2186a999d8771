//! TLS with the default transport, over real TCP on 127.0.0.1: a private CA added to (or
//! replacing) the built-in roots, `danger_accept_invalid_certs`, mutual TLS, and TLS material
//! rejected by `UreqTransportBuilder::build`. Every certificate is made here with rcgen; the
//! server is rustls over a std `TcpListener`, in a thread that stops by itself.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::common::tempdir::TempDir;

use milvus_bulk_import::{
    BulkImportApi, Error, ListImportJobsRequest, TransportErrorKind, UreqTransport,
    UreqTransportBuilder,
};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};

const REPLY: &str = r#"{"code":0,"data":{"records":[]}}"#;

/// A certificate and its key, as PEM and DER.
struct Identity {
    cert_pem: String,
    key_pem: String,
    cert_der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

struct Pki {
    ca: CertifiedIssuer<'static, KeyPair>,
    other_ca: CertifiedIssuer<'static, KeyPair>,
    server: Identity,
    client: Identity,
    /// A client certificate signed by the CA, with the key of another one.
    stray_key_pem: String,
}

fn new_ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

fn leaf(
    issuer: &CertifiedIssuer<'static, KeyPair>,
    names: &[&str],
    usage: ExtendedKeyUsagePurpose,
) -> Identity {
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(names).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "milvus-bulk-import test");
    params.extended_key_usages = vec![usage];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, issuer).unwrap();
    Identity {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        cert_der: cert.der().clone(),
        key_der: key.serialize_der(),
    }
}

fn pki() -> Pki {
    let ca = new_ca("test CA");
    let other_ca = new_ca("unrelated CA");
    let server = leaf(
        &ca,
        &["127.0.0.1", "localhost"],
        ExtendedKeyUsagePurpose::ServerAuth,
    );
    let client = leaf(&ca, &["client"], ExtendedKeyUsagePurpose::ClientAuth);
    let stray_key_pem = KeyPair::generate().unwrap().serialize_pem();
    Pki {
        ca,
        other_ca,
        server,
        client,
        stray_key_pem,
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn server_config(pki: &Pki, require_client_cert: bool) -> Arc<ServerConfig> {
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = if require_client_cert {
        let mut roots = RootCertStore::empty();
        roots.add(pki.ca.der().clone()).unwrap();
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.server.key_der.clone()));
    Arc::new(
        builder
            .with_single_cert(vec![pki.server.cert_der.clone()], key)
            .unwrap(),
    )
}

/// A TLS server on 127.0.0.1 that answers every request with [`REPLY`], until
/// [`Server::finish`] (or 20 s at most). It records how each connection ended.
struct Server {
    url: String,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Vec<Result<(), String>>>,
}

impl Server {
    fn start(config: Arc<ServerConfig>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!(
            "https://127.0.0.1:{}",
            listener.local_addr().unwrap().port()
        );
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(20);
            let mut outcomes = Vec::new();
            while !stopped.load(Ordering::SeqCst) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => outcomes.push(serve(stream, config.clone())),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5))
                    }
                    Err(e) => panic!("accept: {e}"),
                }
            }
            outcomes
        });
        Server { url, stop, thread }
    }

    /// Stops the server; how each connection ended.
    fn finish(self) -> Vec<Result<(), String>> {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().unwrap()
    }
}

fn serve(stream: TcpStream, config: Arc<ServerConfig>) -> Result<(), String> {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let conn = ServerConnection::new(config).map_err(|e| e.to_string())?;
    let mut tls = StreamOwned::new(conn, stream);
    let mut reader = BufReader::new(&mut tls);
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            return Err("closed before the request ended".into());
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse().unwrap();
            }
        }
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body).map_err(|e| e.to_string())?;
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{REPLY}",
        REPLY.len()
    );
    tls.write_all(reply.as_bytes()).map_err(|e| e.to_string())?;
    tls.conn.send_close_notify();
    tls.flush().map_err(|e| e.to_string())?;
    Ok(())
}

fn list(url: &str, transport: UreqTransportBuilder) -> Result<(), Error> {
    let transport = transport
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(5))
        .build()
        .expect("valid TLS settings");
    let api = BulkImportApi::builder(url)
        .api_key("root:Milvus")
        .transport(transport)
        .build()?;
    let reply = api.list_import_jobs(&ListImportJobsRequest::new())?;
    assert!(reply.into_data().records.is_empty());
    Ok(())
}

/// The kind of a transport error, and its text.
fn transport_kind(result: Result<(), Error>) -> (TransportErrorKind, String) {
    match result {
        Err(Error::Transport { source, .. }) => (source.kind(), source.to_string()),
        other => panic!("expected a transport error, got {other:?}"),
    }
}

#[test]
fn custom_ca_is_trusted_alongside_the_builtin_roots() {
    let pki = pki();
    let server = Server::start(server_config(&pki, false));
    let builder = UreqTransport::builder().ca_bundle_pem(pki.ca.pem());
    list(&server.url, builder).expect("trusted by the CA bundle");
    // Also by path, and with the bundle replacing the built-in roots.
    let dir = TempDir::created("ca-path");
    let ca_path = dir.write("ca.pem", pki.ca.pem());
    let builder = UreqTransport::builder()
        .ca_bundle_path(&ca_path)
        .replace_roots(true);
    list(&server.url, builder).expect("trusted by the CA file alone");
    let outcomes = server.finish();
    assert_eq!(outcomes, vec![Ok(()), Ok(())]);
}

#[test]
fn without_the_ca_the_certificate_is_refused_as_a_tls_error() {
    let pki = pki();
    let server = Server::start(server_config(&pki, false));
    let (kind, text) = transport_kind(list(&server.url, UreqTransport::builder()));
    assert_eq!(kind, TransportErrorKind::Tls, "{text}");
    assert!(text.contains("certificate"), "{text}");
    let outcomes = server.finish();
    assert!(
        !outcomes.is_empty() && outcomes.iter().all(Result::is_err),
        "{outcomes:?}"
    );
}

#[test]
fn an_unrelated_ca_alone_is_a_tls_error() {
    let pki = pki();
    let server = Server::start(server_config(&pki, false));
    let builder = UreqTransport::builder()
        .ca_bundle_pem(pki.other_ca.pem())
        .replace_roots(true);
    let (kind, text) = transport_kind(list(&server.url, builder));
    assert_eq!(kind, TransportErrorKind::Tls, "{text}");
    // Added to the built-in roots, it does not help either: one store trusts both sets.
    let builder = UreqTransport::builder().ca_bundle_pem(pki.other_ca.pem());
    let (kind, text) = transport_kind(list(&server.url, builder));
    assert_eq!(kind, TransportErrorKind::Tls, "{text}");
    let outcomes = server.finish();
    assert!(outcomes.iter().all(Result::is_err), "{outcomes:?}");
}

#[test]
fn danger_accept_invalid_certs_needs_no_ca() {
    let pki = pki();
    let server = Server::start(server_config(&pki, false));
    let builder = UreqTransport::builder().danger_accept_invalid_certs(true);
    list(&server.url, builder).expect("any certificate accepted");
    assert_eq!(server.finish(), vec![Ok(())]);
}

#[test]
fn mutual_tls_accepts_the_right_client_certificate() {
    let pki = pki();
    let server = Server::start(server_config(&pki, true));
    let builder = UreqTransport::builder()
        .ca_bundle_pem(pki.ca.pem())
        .client_identity_pem(pki.client.cert_pem.clone(), pki.client.key_pem.clone());
    list(&server.url, builder).expect("client certificate accepted");
    // From files too, the key and certificate in one file.
    let dir = TempDir::created("identity");
    let both = dir.write(
        "client.pem",
        format!("{}{}", pki.client.cert_pem, pki.client.key_pem),
    );
    let builder = UreqTransport::builder()
        .ca_bundle_pem(pki.ca.pem())
        .client_identity_paths(&both, &both);
    list(&server.url, builder).expect("client certificate from a file accepted");
    assert_eq!(server.finish(), vec![Ok(()), Ok(())]);
}

#[test]
fn mutual_tls_without_a_client_certificate_is_refused() {
    let pki = pki();
    let server = Server::start(server_config(&pki, true));
    let builder = UreqTransport::builder().ca_bundle_pem(pki.ca.pem());
    let (kind, text) = transport_kind(list(&server.url, builder));
    // With TLS 1.3 the client has finished its side of the handshake, and writes the
    // request, before the server has checked that it sent no certificate. What the client
    // sees then depends on timing: reading first, the server's `certificate_required` alert
    // (a TLS error); writing after the server closed, a broken pipe or a reset (an
    // interrupted connection, as the client cannot know why the server hung up). About one
    // run in five is the first, on Linux.
    match kind {
        TransportErrorKind::Tls => assert!(text.contains("CertificateRequired"), "{text}"),
        TransportErrorKind::Interrupted => {}
        other => panic!("expected a TLS or interrupted error, got {other:?}: {text}"),
    }
    let outcomes = server.finish();
    assert!(
        !outcomes.is_empty() && outcomes.iter().all(Result::is_err),
        "{outcomes:?}"
    );
    assert!(
        outcomes[0]
            .as_ref()
            .unwrap_err()
            .contains("no certificates"),
        "{outcomes:?}"
    );
}

// ---- material rejected by build() ----

/// `build()` fails with `Error::Config`; its text, which must not quote any PEM, is returned.
fn config_error(builder: UreqTransportBuilder, secrets: &[&str]) -> String {
    let text = match builder.build() {
        Err(Error::Config(text)) => text,
        other => panic!("expected Error::Config, got {other:?}"),
    };
    assert!(!text.contains("-----"), "{text}");
    for secret in secrets {
        for line in secret
            .lines()
            .filter(|l| !l.starts_with("-----") && l.len() > 8)
        {
            assert!(!text.contains(line), "{text} quotes PEM");
        }
    }
    text
}

#[test]
fn build_rejects_unusable_ca_bundles() {
    let pki = pki();
    let text = config_error(UreqTransport::builder().ca_bundle_pem(""), &[]);
    assert!(text.contains("empty"), "{text}");
    let text = config_error(UreqTransport::builder().ca_bundle_pem("  \n"), &[]);
    assert!(text.contains("empty"), "{text}");

    let garbage = "-----BEGIN CERTIFICATE-----\nnot base64 at all!!\n-----END CERTIFICATE-----\n";
    let text = config_error(UreqTransport::builder().ca_bundle_pem(garbage), &[garbage]);
    assert!(text.contains("not valid PEM"), "{text}");

    let text = config_error(
        UreqTransport::builder().ca_bundle_pem("just some text"),
        &[],
    );
    assert!(text.contains("no certificate"), "{text}");

    // A key is not a certificate.
    let key = pki.client.key_pem.clone();
    let text = config_error(UreqTransport::builder().ca_bundle_pem(key.clone()), &[&key]);
    assert!(text.contains("no certificate"), "{text}");

    // Valid base64 that is not X.509.
    let fake = "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n";
    let text = config_error(UreqTransport::builder().ca_bundle_pem(fake), &[]);
    assert!(text.contains("not a valid X.509"), "{text}");

    let text = config_error(
        UreqTransport::builder().ca_bundle_path("/nonexistent/ca.pem"),
        &[],
    );
    assert!(
        text.contains("cannot read") && text.contains("/nonexistent/ca.pem"),
        "{text}"
    );

    // One bad bundle among good ones still fails.
    let text = config_error(
        UreqTransport::builder()
            .ca_bundle_pem(pki.ca.pem())
            .ca_bundle_pem(""),
        &[],
    );
    assert!(text.contains("empty"), "{text}");
}

#[test]
fn build_rejects_unusable_client_identities() {
    let pki = pki();
    let (cert, key) = (pki.client.cert_pem.clone(), pki.client.key_pem.clone());
    let secrets = [key.as_str(), pki.stray_key_pem.as_str()];

    // The certificate without its key.
    let text = config_error(
        UreqTransport::builder().client_identity_pem(cert.clone(), cert.clone()),
        &secrets,
    );
    assert!(text.contains("no private key"), "{text}");
    let text = config_error(
        UreqTransport::builder().client_identity_pem(cert.clone(), ""),
        &secrets,
    );
    assert!(text.contains("empty"), "{text}");

    // A key without a certificate.
    let text = config_error(
        UreqTransport::builder().client_identity_pem(key.clone(), key.clone()),
        &secrets,
    );
    assert!(text.contains("no certificate"), "{text}");

    // A key that is not the certificate's.
    let text = config_error(
        UreqTransport::builder().client_identity_pem(cert.clone(), pki.stray_key_pem.clone()),
        &secrets,
    );
    assert!(text.contains("does not match"), "{text}");

    // Garbage where the key should be.
    let garbage = "-----BEGIN PRIVATE KEY-----\n%%%%\n-----END PRIVATE KEY-----\n";
    let text = config_error(
        UreqTransport::builder().client_identity_pem(cert.clone(), garbage),
        &secrets,
    );
    assert!(text.contains("not valid PEM"), "{text}");

    // Files: a missing key file, a missing certificate file, a key file holding another key.
    let dir = TempDir::created("bad-identity");
    let cert_path = dir.write("client.pem", &cert);
    let stray_path = dir.write("stray.key", &pki.stray_key_pem);
    let text = config_error(
        UreqTransport::builder().client_identity_paths(&cert_path, dir.join("missing.key")),
        &secrets,
    );
    assert!(
        text.contains("cannot read") && text.contains("missing.key"),
        "{text}"
    );
    let text = config_error(
        UreqTransport::builder().client_identity_paths(dir.join("missing.pem"), &stray_path),
        &secrets,
    );
    assert!(
        text.contains("cannot read") && text.contains("missing.pem"),
        "{text}"
    );
    let text = config_error(
        UreqTransport::builder().client_identity_paths(&cert_path, &stray_path),
        &secrets,
    );
    assert!(text.contains("does not match"), "{text}");

    // The builder's Debug shows neither.
    let builder = UreqTransport::builder().client_identity_pem(cert, key.clone());
    let debug = format!("{builder:?}");
    assert!(
        !debug.contains("PRIVATE KEY") && !debug.contains(&key[40..80]),
        "{debug}"
    );
}

#[test]
fn build_checks_ec_keys_of_both_curves() {
    // P-384 (and RSA, where rcgen's crypto backend can generate it), then P-256.
    let ca = new_ca("key types CA");
    for alg in [&rcgen::PKCS_RSA_SHA256, &rcgen::PKCS_ECDSA_P384_SHA384] {
        let key = match KeyPair::generate_for(alg) {
            Ok(key) => key,
            Err(_) => continue, // ring cannot generate RSA keys
        };
        let params = CertificateParams::new(vec!["client".to_string()]).unwrap();
        let cert = params.signed_by(&key, &ca).unwrap();
        UreqTransport::builder()
            .client_identity_pem(cert.pem(), key.serialize_pem())
            .build()
            .expect("a matching key");
    }
    let key = KeyPair::generate().unwrap(); // P-256, PKCS#8 with its public key
    let params = CertificateParams::new(vec!["client".to_string()]).unwrap();
    let cert = params.signed_by(&key, &ca).unwrap();
    let other = KeyPair::generate().unwrap();
    let other_params = CertificateParams::new(vec!["other".to_string()]).unwrap();
    let other_cert = other_params.signed_by(&other, &ca).unwrap();
    config_error(
        UreqTransport::builder().client_identity_pem(other_cert.pem(), key.serialize_pem()),
        &[],
    );
    UreqTransport::builder()
        .client_identity_pem(cert.pem(), key.serialize_pem())
        .build()
        .expect("a matching key");
}

#[test]
fn build_checks_keys_of_every_encoding_and_refuses_what_rustls_cannot_use() {
    use openssl::*;
    let ok = |cert: &str, key: &str| {
        UreqTransport::builder()
            .client_identity_pem(cert, key)
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let accepted = [
        ok(RSA_CERT, RSA_PKCS8_KEY),
        ok(RSA_CERT, RSA_PKCS1_KEY),
        ok(EC_CERT, EC_SEC1_KEY),
        // rustls derives an Ed25519 public key from the private one, so a PKCS#8 v1 key (as
        // OpenSSL writes it, without its public key) is checked against its certificate too.
        ok(ED25519_CERT, ED25519_V1_KEY),
    ];
    let secrets = [
        RSA_PKCS8_KEY,
        RSA_PKCS1_KEY,
        EC_SEC1_KEY,
        RSA1024_KEY,
        ED25519_V1_KEY,
        P521_KEY,
    ];
    let refused = |cert: &str, key: &str| {
        config_error(
            UreqTransport::builder().client_identity_pem(cert, key),
            &secrets,
        )
    };
    assert!(refused(RSA_CERT, EC_SEC1_KEY).contains("does not match"));
    assert!(refused(EC_CERT, RSA_PKCS1_KEY).contains("does not match"));
    assert!(refused(RSA1024_CERT, RSA1024_KEY).contains("2048 bits"));
    assert!(refused(P521_CERT, P521_KEY).contains("P-256 and P-384"));
    assert!(refused(EC_CERT, ED25519_V1_KEY).contains("does not match"));

    // What build() accepts, rustls accepts too: the first connection is an error from
    // the server (which trusts none of these self-signed certificates), not a panic.
    let pki = pki();
    let server = Server::start(server_config(&pki, true));
    for transport in accepted {
        assert!(!format!("{transport:?}").contains("PRIVATE"));
        let api = BulkImportApi::builder(server.url.as_str())
            .api_key("root:Milvus")
            .transport(transport)
            .build()
            .unwrap();
        let result = api
            .list_import_jobs(&ListImportJobsRequest::new())
            .map(drop);
        let (kind, text) = transport_kind(result);
        assert!(
            matches!(
                kind,
                TransportErrorKind::Tls | TransportErrorKind::Interrupted
            ),
            "{kind:?}: {text}"
        );
    }
    server.finish();
}

/// Keys rcgen cannot make (RSA with ring) or makes in only one encoding, from OpenSSL 3:
/// throwaway self-signed test identities.
mod openssl {
    pub const RSA_CERT: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIDDTCCAfWgAwIBAgIUP6lat43nsaxB2MhPybVB4Pj7shAwDQYJKoZIhvcNAQEL\n\
BQAwFTETMBEGA1UEAwwKcnNhLWNsaWVudDAgFw0yNjExMjkxMTAzMzhaGA8yMTI2\n\
MTEwNTExMDMzOFowFTETMBEGA1UEAwwKcnNhLWNsaWVudDCCASIwDQYJKoZIhvcN\n\
AQEBBQADggEPADCCAQoCggEBAM+S7TOvSVh1zQAabD9S7vBSgSrK36UXZluX+6KO\n\
4ElG24GX5KjhJbMfbxfOWyWwaf1nPcm48iQVrAVLhwZy9lNsEjSVZ4ZpjtO4ziFf\n\
pOt4+tAkn3CZ7+ErTlWdfQiQbtMDuu1ga0lBJzGTxZ6DwxN0e4YFzgydbLkbK4gG\n\
6KUVHX92p9oJ5DMNMGKNnDyDXMo/DJTNPsvYRlOkTrAKrPzn0fZR559Y2BDEXbcI\n\
2hm8A4lrk5pTsaHveRQvWVh4QcNKWgQOnaKi6LvaWEGvGAu2DWuI/6wFbtj5cumh\n\
ZfUFm2Oxgdby2I87dSVTRutjnqYTeut4t6mO/1lrZFY4mcUCAwEAAaNTMFEwHQYD\n\
VR0OBBYEFF4d8TA45T3nOYj+a9qRwrz93XHzMB8GA1UdIwQYMBaAFF4d8TA45T3n\n\
OYj+a9qRwrz93XHzMA8GA1UdEwEB/wQFMAMBAf8wDQYJKoZIhvcNAQELBQADggEB\n\
AJwTaCy0FKOG/LegEotFBVze+hYDmjyZZ3/ClVueB70lsfbtvZygMo1Q5YJ8xmyY\n\
S5Kf0jdTYbVgCYvdBwql/7Odj4r0mRpcvXye5jDmEo5KWUYjjfLuh8f5qrmxRPJ5\n\
vQb24VxgPo4d8sfaykOYBWs1d3pUIdzNhLsnCvVZWzrxkEShw1RYT/MZV/P33P34\n\
Y+dqC2CS3uKyTEcw2SEizMHaYMD311wTMggA1EbF3KICyV45nWwb95c95GbuWQTS\n\
aNSBAVNW4JnoBysHPtXRudebiKFqjOusehmBWBbdqqc8xfHGgN+WkVUsq6mhn16Q\n\
3OFtoBQWQb9ARvm5B5qpyf0=\n\
-----END CERTIFICATE-----\n\
";
    pub const RSA_PKCS8_KEY: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDPku0zr0lYdc0A\n\
Gmw/Uu7wUoEqyt+lF2Zbl/uijuBJRtuBl+So4SWzH28XzlslsGn9Zz3JuPIkFawF\n\
S4cGcvZTbBI0lWeGaY7TuM4hX6TrePrQJJ9wme/hK05VnX0IkG7TA7rtYGtJQScx\n\
k8Weg8MTdHuGBc4MnWy5GyuIBuilFR1/dqfaCeQzDTBijZw8g1zKPwyUzT7L2EZT\n\
pE6wCqz859H2UeefWNgQxF23CNoZvAOJa5OaU7Gh73kUL1lYeEHDSloEDp2ioui7\n\
2lhBrxgLtg1riP+sBW7Y+XLpoWX1BZtjsYHW8tiPO3UlU0brY56mE3rreLepjv9Z\n\
a2RWOJnFAgMBAAECggEAKEc9afMQi27IacW2zY7dOJr534DgZtukjA9wz7ljwjRS\n\
sdH0l+SgeSKXXwo225hg6MAY2ETgD6p458ohGFpEfCmTWsrG/OkMwv6wWP+DNAIU\n\
wUDqA2KLjqjlmW1m7ruAFcg6hIdaKivPXCpthXXR67uFoJsNwZrmlwCzsMCOckHN\n\
/WZmOG/tFzcTOgmZcZ1T7HbY5eifVP+7IWQiyQtcTqSPtIJBoNTRrSKWYcx4AUEk\n\
bQXS1fXc3dZ1NHLl2gA7Uz3kjghM1IEz3s2JdmlpAnH2snfv+l5whXqKxQepJ7d0\n\
0jFxYKbhPuSz8XC71FG0E77kfo+73jUzFIltFm97AQKBgQD2sywJqeWYNGTguEsN\n\
YTFkNnvdcocnqBmP3MrVaGutm+O7/MhDsLYHzTgv0Xicg6s/1ugmba3rmbU1CqPO\n\
AOd+OJpkHAHLIUm8i8739xZBeoWm8DuvyDBvZ3Hz0x4ag57tuVsXHxo5magl81zv\n\
ytfJkY7fXo0EUHuTRLb7hZxRBQKBgQDXZilUZI8J181c1AOj8v+Q3m5jE1i59ofQ\n\
biCsAU1cdmWxGWeykLfR0JjPk9D7/IG+UbNcMEbxLYsHU1JJehuY+eyeMv+9fi/q\n\
53xdDSlEKSKHC02VvJv9iGBMGx01g2KuhJZmfSPua0eaCaCPB0/bAnYmKQIeCnwi\n\
q42BMhyBwQKBgQCVu1/SKbU5cSt9HT4oS8JvoYYCfT28+xEwuQC/EFayk3hgo+dk\n\
9j81cwBUPZ4n2N66q5RRpqY15iAOpnuPUAsxF+fVNQ59nKGld3HSHLz8VwIBtbN0\n\
WFvVcgK+y3ds/lAa1zKLUQxYw4NELXZN8F6Sb+84canDYZnvY3hwJsMehQKBgERk\n\
etECEOzWKa3E39cJzB3qknBA71Y0shD7NsKGs1KdgVKHN4baLpOfQTX/wEaSeXu9\n\
o06tQYlIpbFQwnr0G5kqGfhtRwia7YoPsEw3Zpfu27i3XQ4jUgBhcfoYTeD087tn\n\
+/1U1LjaNWTyk5l2f+ORV4RsVvDE8X9sq0SPbb/BAoGBAN3f9G8yn67rfDOAwoGd\n\
k3t4rbkC7SSvBGYo3vYxLwLuyAmqXhCdfP1H1yCv90HkgRVCpgZ1YrcFj6YXH5YG\n\
3/E7dcDmnjeytM3/yptqnm/f4gZ3KEZOdWoQ1biV7eP20Euu6ya33IiTmTYQfShN\n\
rL1gGOdfdoIp0srAlnZaepcT\n\
-----END PRIVATE KEY-----\n\
";
    pub const RSA_PKCS1_KEY: &str = "\
-----BEGIN RSA PRIVATE KEY-----\n\
MIIEpAIBAAKCAQEAz5LtM69JWHXNABpsP1Lu8FKBKsrfpRdmW5f7oo7gSUbbgZfk\n\
qOElsx9vF85bJbBp/Wc9ybjyJBWsBUuHBnL2U2wSNJVnhmmO07jOIV+k63j60CSf\n\
cJnv4StOVZ19CJBu0wO67WBrSUEnMZPFnoPDE3R7hgXODJ1suRsriAbopRUdf3an\n\
2gnkMw0wYo2cPINcyj8MlM0+y9hGU6ROsAqs/OfR9lHnn1jYEMRdtwjaGbwDiWuT\n\
mlOxoe95FC9ZWHhBw0paBA6doqLou9pYQa8YC7YNa4j/rAVu2Ply6aFl9QWbY7GB\n\
1vLYjzt1JVNG62OephN663i3qY7/WWtkVjiZxQIDAQABAoIBAChHPWnzEItuyGnF\n\
ts2O3Tia+d+A4GbbpIwPcM+5Y8I0UrHR9JfkoHkil18KNtuYYOjAGNhE4A+qeOfK\n\
IRhaRHwpk1rKxvzpDML+sFj/gzQCFMFA6gNii46o5ZltZu67gBXIOoSHWiorz1wq\n\
bYV10eu7haCbDcGa5pcAs7DAjnJBzf1mZjhv7Rc3EzoJmXGdU+x22OXon1T/uyFk\n\
IskLXE6kj7SCQaDU0a0ilmHMeAFBJG0F0tX13N3WdTRy5doAO1M95I4ITNSBM97N\n\
iXZpaQJx9rJ37/pecIV6isUHqSe3dNIxcWCm4T7ks/Fwu9RRtBO+5H6Pu941MxSJ\n\
bRZvewECgYEA9rMsCanlmDRk4LhLDWExZDZ73XKHJ6gZj9zK1WhrrZvju/zIQ7C2\n\
B804L9F4nIOrP9boJm2t65m1NQqjzgDnfjiaZBwByyFJvIvO9/cWQXqFpvA7r8gw\n\
b2dx89MeGoOe7blbFx8aOZmoJfNc78rXyZGO316NBFB7k0S2+4WcUQUCgYEA12Yp\n\
VGSPCdfNXNQDo/L/kN5uYxNYufaH0G4grAFNXHZlsRlnspC30dCYz5PQ+/yBvlGz\n\
XDBG8S2LB1NSSXobmPnsnjL/vX4v6ud8XQ0pRCkihwtNlbyb/YhgTBsdNYNiroSW\n\
Zn0j7mtHmgmgjwdP2wJ2JikCHgp8IquNgTIcgcECgYEAlbtf0im1OXErfR0+KEvC\n\
b6GGAn09vPsRMLkAvxBWspN4YKPnZPY/NXMAVD2eJ9jeuquUUaamNeYgDqZ7j1AL\n\
MRfn1TUOfZyhpXdx0hy8/FcCAbWzdFhb1XICvst3bP5QGtcyi1EMWMODRC12TfBe\n\
km/vOHGpw2GZ72N4cCbDHoUCgYBEZHrRAhDs1imtxN/XCcwd6pJwQO9WNLIQ+zbC\n\
hrNSnYFShzeG2i6Tn0E1/8BGknl7vaNOrUGJSKWxUMJ69BuZKhn4bUcImu2KD7BM\n\
N2aX7tu4t10OI1IAYXH6GE3g9PO7Z/v9VNS42jVk8pOZdn/jkVeEbFbwxPF/bKtE\n\
j22/wQKBgQDd3/RvMp+u63wzgMKBnZN7eK25Au0krwRmKN72MS8C7sgJql4QnXz9\n\
R9cgr/dB5IEVQqYGdWK3BY+mFx+WBt/xO3XA5p43srTN/8qbap5v3+IGdyhGTnVq\n\
ENW4le3j9tBLrusmt9yIk5k2EH0oTay9YBjnX3aCKdLKwJZ2WnqXEw==\n\
-----END RSA PRIVATE KEY-----\n\
";
    pub const RSA1024_CERT: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIB/jCCAWegAwIBAgIUK9Sul39Js69pIjlwC2PHMVo2oWkwDQYJKoZIhvcNAQEL\n\
BQAwEDEOMAwGA1UEAwwFc21hbGwwIBcNMjYxMTI5MTEwMzM4WhgPMjEyNjExMDUx\n\
MTAzMzhaMBAxDjAMBgNVBAMMBXNtYWxsMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCB\n\
iQKBgQDUmEL37jzoB2YoYLtg29eXORqxINEMA9yOnWYm24Tycitzwx9lyqKhOxD3\n\
Z0KRSP2TkPxtiVwPwMgRSC8a7hMiKWp3x2BIPTYcTQ+04P+/oA6fGNSRmU6Uf+Hr\n\
7cRL92rYw9TXxUYQaELCZneux0HxFQJk81yYYHZ8CUdRBMsE1wIDAQABo1MwUTAd\n\
BgNVHQ4EFgQUfQkYFv95L9tT+K68cr9T8ft3xC8wHwYDVR0jBBgwFoAUfQkYFv95\n\
L9tT+K68cr9T8ft3xC8wDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOB\n\
gQA7URCPX+N7ssRgwebSG864bWNBlnxUoCzCDvEaaWQ4SCJklLM6znDzuSRfZp14\n\
2MHnorJowV1I614709WyJXN6MHzEsJvvENtZsshEwCuJpK/0Ut+4vc96LxhEfQgf\n\
I3zttFmYjXf+0gvgyi1hBfbkmUukqTgYiBbMbShV4xj2BQ==\n\
-----END CERTIFICATE-----\n\
";
    pub const RSA1024_KEY: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIICdQIBADANBgkqhkiG9w0BAQEFAASCAl8wggJbAgEAAoGBANSYQvfuPOgHZihg\n\
u2Db15c5GrEg0QwD3I6dZibbhPJyK3PDH2XKoqE7EPdnQpFI/ZOQ/G2JXA/AyBFI\n\
LxruEyIpanfHYEg9NhxND7Tg/7+gDp8Y1JGZTpR/4evtxEv3atjD1NfFRhBoQsJm\n\
d67HQfEVAmTzXJhgdnwJR1EEywTXAgMBAAECgYAUkPZJjd6Og8i6N0FpSVs94eRX\n\
JlmS0/zOPyPWtn3SBoF1nXa4HjZFarVlebPS4kDFuczxu8wQKhIwuc70x/tJsZwh\n\
prEXk9Jmwr06NIwzVwhI5F1YevonzEXdtSnsawoXEkZsNokQSetbp8C5FxR1B+9f\n\
kxrI1m2ZGcCZE/gD4QJBAOvmwbBViXTgs/47OiZbMHBxMon05syWtnM3XijhYUhp\n\
lto3JNsbDgYeXNYl11JlpwBdzaT3veKROZDjZizXZf0CQQDmtSoazrtaleiqaLYY\n\
OVGEv4Gws4opKNC1Du+GO9jgz7+3pdXss1/w71tDQxwbpGanHrcvnGqszD51ahok\n\
8yRjAkB9NYi+sFf6Gj5PBV6y9xm5xMtfYAaUtrX2Z3/p0N6S0cCI6FX+mdiStNDv\n\
tTwZduzyC9fX5Mr7k7trRNd5m4Z9AkB5NM61HM2DjuSYusCIQ3zXcEFzky/P5fiY\n\
VwtyC3kqyxqfIkocvDR4gVgCI3zd7OZdgJ6fLd9Bf2CFEURBC1ifAkAsj1PLYN1y\n\
oZAo3jGvhAcmfJhrVlTW+nkQUXZaeZMld2NHw3wP5XbxEnVQBFaarbTttG/v6Gnk\n\
/vu8pfJ8p+aV\n\
-----END PRIVATE KEY-----\n\
";
    pub const EC_CERT: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIBfzCCASWgAwIBAgIUM0rCNSFI5uYTymKRGK0ismU568swCgYIKoZIzj0EAwIw\n\
FDESMBAGA1UEAwwJZWMtY2xpZW50MCAXDTI2MTEyOTExMDMzOFoYDzIxMjYxMTA1\n\
MTEwMzM4WjAUMRIwEAYDVQQDDAllYy1jbGllbnQwWTATBgcqhkjOPQIBBggqhkjO\n\
PQMBBwNCAATSaHlYeakazA66AbWi54t2Vh2X93fYFd1hn1DD0nY1M2afN/d92zP1\n\
X5x5EX/h5yIZ67DdKBFHoQ6GoAodwdueo1MwUTAdBgNVHQ4EFgQUiHo6YBpIcCW4\n\
TfbeWiafma1OT4MwHwYDVR0jBBgwFoAUiHo6YBpIcCW4TfbeWiafma1OT4MwDwYD\n\
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEA5PfVFwkMwORPWdfTzhrp\n\
0oscdXohhuM0dIc06sApWCsCIDwzoCBPY75a1MuLFXUYV75GEsK/QSNK/8F9BZ/t\n\
iJgm\n\
-----END CERTIFICATE-----\n\
";
    pub const EC_SEC1_KEY: &str = "\
-----BEGIN EC PRIVATE KEY-----\n\
MHcCAQEEIGNMtK4v86li2p0N3BHwlhIZGFPFfdG4FluolJrCJOBkoAoGCCqGSM49\n\
AwEHoUQDQgAE0mh5WHmpGswOugG1oueLdlYdl/d32BXdYZ9Qw9J2NTNmnzf3fdsz\n\
9V+ceRF/4eciGeuw3SgRR6EOhqAKHcHbng==\n\
-----END EC PRIVATE KEY-----\n\
";
    pub const ED25519_CERT: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIBPjCB8aADAgECAhQuAJ96YkFx18dN4CJmylpzKS3HqDAFBgMrZXAwFDESMBAG\n\
A1UEAwwJZWQtY2xpZW50MCAXDTI2MTEyOTExMDMzOFoYDzIxMjYxMTA1MTEwMzM4\n\
WjAUMRIwEAYDVQQDDAllZC1jbGllbnQwKjAFBgMrZXADIQCtl5OBK4AODa7RFOrG\n\
fBCpvq+P61+Lhc0UsBWnIrYNkaNTMFEwHQYDVR0OBBYEFN2//jYgcTzqjdNSoAul\n\
J+g0QeODMB8GA1UdIwQYMBaAFN2//jYgcTzqjdNSoAulJ+g0QeODMA8GA1UdEwEB\n\
/wQFMAMBAf8wBQYDK2VwA0EAeZldixFZO43BaWVbbmWE/XfGwag9P7XqcdwuPQ5O\n\
eCZoQaIk4ke/W7yGfrD9j0YJVia0Xp9NMLFChgUgdseeAg==\n\
-----END CERTIFICATE-----\n\
";
    pub const ED25519_V1_KEY: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MC4CAQAwBQYDK2VwBCIEIPLgyjJVH+J3ZStMqgsg8wanULSFSA6l4yi5hTber3jQ\n\
-----END PRIVATE KEY-----\n\
";
    pub const P521_CERT: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIB/TCCAV6gAwIBAgIUMKnTJXeF3Vm3rVqymkICnzvQeCEwCgYIKoZIzj0EAwIw\n\
DzENMAsGA1UEAwwEcDUyMTAgFw0yNjExMjkxMTAzMzhaGA8yMTI2MTEwNTExMDMz\n\
OFowDzENMAsGA1UEAwwEcDUyMTCBmzAQBgcqhkjOPQIBBgUrgQQAIwOBhgAEAN9G\n\
I9TYdijbh9OOfGVHD7+yBXzIMI4CsgNg96n8gedpbrucSd4kyZ5tQ9AAL4+TyO0k\n\
cgz/9ksR57FvTd9UgzFCAL+0CVHZJfxiNOcX/2vWxcHbXipwMTqaHF1nQ94jVzpz\n\
yC7JTVIQt1pFEBDSseRDm8YGK4HTBp1szwsvJf6KU9e/o1MwUTAdBgNVHQ4EFgQU\n\
wBmHN8lynJcuj+i91NvH1ZALbz8wHwYDVR0jBBgwFoAUwBmHN8lynJcuj+i91NvH\n\
1ZALbz8wDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgOBjAAwgYgCQgEdUgMA\n\
2HTRdGWZeRCjkIWb6/3SO7nlGjl/qAjDzGpOkXp0K+o5gISB6iPR2E4lre7JSV3v\n\
gef48G8HowWBiaj6bgJCAV1FH8HUkyNybdVG+Ve8vcaKQ/VsSOKjV2TvbJVyQnk+\n\
LgTITAFySY7cyRPmgaAc/43nvQLRAD97B1AoSlahCx9D\n\
-----END CERTIFICATE-----\n\
";
    pub const P521_KEY: &str = "\
-----BEGIN EC PRIVATE KEY-----\n\
MIHcAgEBBEIBsgyVffJ7daNQrLlBHNM+ZaXCa7ImAE6FVEehekixVuWgxJJBpdij\n\
VAkOPEgeDaqQpNU7UaRbd3Jar2vhbXOoR0ygBwYFK4EEACOhgYkDgYYABADfRiPU\n\
2HYo24fTjnxlRw+/sgV8yDCOArIDYPep/IHnaW67nEneJMmebUPQAC+Pk8jtJHIM\n\
//ZLEeexb03fVIMxQgC/tAlR2SX8YjTnF/9r1sXB214qcDE6mhxdZ0PeI1c6c8gu\n\
yU1SELdaRRAQ0rHkQ5vGBiuB0wadbM8LLyX+ilPXvw==\n\
-----END EC PRIVATE KEY-----\n\
";
}

#[test]
fn the_client_builder_takes_the_same_tls_settings() {
    let pki = pki();
    let server = Server::start(server_config(&pki, true));
    let api = BulkImportApi::builder(&server.url)
        .ca_bundle_pem(pki.ca.pem())
        .replace_roots(true)
        .client_identity_pem(pki.client.cert_pem.clone(), pki.client.key_pem.clone())
        .retry(milvus_bulk_import::RetryPolicy::none())
        .build()
        .expect("valid TLS material");
    api.list_import_jobs(&milvus_bulk_import::ListImportJobsRequest::new())
        .expect("mutual TLS through the client builder");
    assert!(!format!("{api:?}").contains("PRIVATE KEY"));
    let _ = server.finish();
    // Bad material fails in build(), not at the first request.
    let err = BulkImportApi::builder("https://127.0.0.1:1")
        .ca_bundle_pem("not a certificate")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}
