//! `emulate --tls-cert/--tls-key`: HTTPS on loopback, for clients that only speak https
//! (fal-client builds every queue URL as `https://{FAL_QUEUE_RUN_HOST}/...`).

use crate::error::{Error, Result};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{crypto::ring, ServerConfig};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// Longest a client may take over its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A TLS server configuration from a PEM certificate chain and a PEM private key.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>> {
    let bad = |path: &Path, what: &str| Error::bad_input(path, what.to_string());
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect())
        .map_err(|e| bad(cert, &format!("not a PEM certificate chain: {e}")))?;
    if chain.is_empty() {
        return Err(bad(cert, "holds no PEM certificate"));
    }
    let secret = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| bad(key, &format!("not a PEM private key: {e}")))?;
    let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Internal(format!("TLS set-up: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, secret)
        .map_err(|e| bad(key, &format!("does not fit the certificate: {e}")))?;
    Ok(Arc::new(config))
}

/// A listener whose connections are TLS streams. Handshakes run on their own tasks, so a slow
/// or silent client never holds up the others.
pub struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    done: (mpsc::Sender<Shaken>, mpsc::Receiver<Shaken>),
}

/// A connection past its handshake, and its peer.
type Shaken = (TlsStream<TcpStream>, std::net::SocketAddr);

impl TlsListener {
    /// Serve TLS with `config` on `tcp`.
    pub fn new(tcp: TcpListener, config: Arc<ServerConfig>) -> Self {
        Self {
            tcp,
            acceptor: TlsAcceptor::from(config),
            done: mpsc::channel(64),
        }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            tokio::select! {
                Some(ready) = self.done.1.recv() => return ready,
                got = self.tcp.accept() => match got {
                    Ok((stream, addr)) => {
                        let (acceptor, tx) = (self.acceptor.clone(), self.done.0.clone());
                        tokio::spawn(async move {
                            let shake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
                            if let Ok(Ok(tls)) = shake.await {
                                let _ = tx.send((tls, addr)).await;
                            }
                        });
                    }
                    // Out of file descriptors and the like: wait, as axum's own listener does.
                    Err(_) => tokio::time::sleep(Duration::from_secs(1)).await,
                },
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
