//! A real S3 server for upload tests: `s3s-fs` (objects as files under a temporary root) behind
//! `s3s`'s Signature V4 check, served in-process on 127.0.0.1 by hyper on a Tokio runtime in a
//! background thread; and a TCP proxy that cuts one connection in the middle of a request.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

pub const ACCESS_KEY: &str = "test-access-key";
pub const SECRET_KEY: &str = "test-secret-Kf8s/Qz+9vXyZ";

/// An S3 server on 127.0.0.1 that verifies Signature V4 for [`ACCESS_KEY`] / [`SECRET_KEY`].
/// Stops, and removes its files, when dropped.
pub struct S3Server {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    pub addr: SocketAddr,
    root: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl S3Server {
    /// A server holding the (empty) `buckets`.
    pub fn start(buckets: &[&str]) -> S3Server {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "mbi-s3s-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&root);
        for bucket in buckets {
            std::fs::create_dir_all(root.join(bucket)).expect("bucket directory");
        }
        std::fs::create_dir_all(&root).expect("server root");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("address");
        let stop = Arc::new(AtomicBool::new(false));
        let fs = s3s_fs::FileSystem::new(&root).expect("s3s-fs root");
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        let stopping = Arc::clone(&stop);
        let thread = thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                while !stopping.load(Ordering::SeqCst) {
                    let accepted =
                        tokio::time::timeout(Duration::from_millis(100), listener.accept()).await;
                    let Ok(Ok((stream, _))) = accepted else {
                        continue;
                    };
                    let service = service.clone();
                    tokio::spawn(async move {
                        let io = hyper_util::rt::TokioIo::new(stream);
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(io, service)
                            .await;
                    });
                }
            });
        });
        S3Server {
            endpoint: format!("http://{addr}"),
            addr,
            root,
            stop,
            thread: Some(thread),
        }
    }

    /// The directory `bucket` is kept in (an emulator's data root reads the objects there).
    pub fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.root.join(bucket)
    }

    /// The bytes of `bucket/key`, if the object exists.
    pub fn object(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        std::fs::read(self.bucket_dir(bucket).join(key)).ok()
    }

    /// Every object in `bucket` (keys relative to it, sorted).
    pub fn objects(&self, bucket: &str) -> Vec<String> {
        super::tempdir::files_under(&self.bucket_dir(bucket))
    }

    /// What unfinished multipart uploads and half-written files s3s-fs keeps in its root
    /// (`.upload-<id>.json`, `.upload_id-<id>.part-<n>`, `.tmp.*`).
    pub fn leftovers(&self) -> Vec<String> {
        let mut out: Vec<String> = std::fs::read_dir(&self.root)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".upload") || n.starts_with(".tmp"))
            .collect();
        out.sort();
        out
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// A TCP proxy on 127.0.0.1 to `upstream` that, once, cuts a connection (both ways) after
/// `cut_after` bytes of requests have gone through it: in the middle of a request body when
/// bodies are larger than that.
pub struct CuttingProxy {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    cuts: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl CuttingProxy {
    pub fn start(upstream: SocketAddr, cut_after: usize) -> CuttingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let cuts = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (cut_count, stopping) = (Arc::clone(&cuts), Arc::clone(&stop));
        thread::spawn(move || {
            // Bounded: the proxy stops when dropped, or after two minutes.
            let started = std::time::Instant::now();
            while !stopping.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(120) {
                let client = match listener.accept() {
                    Ok((client, _)) => client,
                    Err(_) => {
                        thread::sleep(Duration::from_millis(10));
                        continue;
                    }
                };
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                let _ = client.set_nonblocking(false);
                for s in [&client, &server] {
                    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
                    let _ = s.set_write_timeout(Some(Duration::from_secs(30)));
                }
                let (Ok(client2), Ok(server2)) = (client.try_clone(), server.try_clone()) else {
                    continue;
                };
                let cut_count = Arc::clone(&cut_count);
                // Requests: client -> server, cut once past `cut_after` bytes.
                thread::spawn(move || {
                    let (mut from, mut to) = (client, server);
                    let mut buf = vec![0u8; 64 * 1024];
                    let mut sent = 0usize;
                    loop {
                        let n = match from.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        if sent + n > cut_after
                            && cut_count
                                .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
                                .is_ok()
                        {
                            let _ = to.write_all(&buf[..cut_after.saturating_sub(sent)]);
                            let _ = from.shutdown(Shutdown::Both);
                            let _ = to.shutdown(Shutdown::Both);
                            return;
                        }
                        if to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                        sent += n;
                    }
                    let _ = to.shutdown(Shutdown::Write);
                });
                // Replies: server -> client.
                thread::spawn(move || {
                    let (mut from, mut to) = (server2, client2);
                    let _ = std::io::copy(&mut from, &mut to);
                    let _ = to.shutdown(Shutdown::Write);
                });
            }
        });
        CuttingProxy {
            endpoint,
            cuts,
            stop,
        }
    }

    /// Connections cut so far (0 or 1).
    pub fn cuts(&self) -> usize {
        self.cuts.load(Ordering::SeqCst)
    }
}

impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// `len` bytes that do not repeat in any short period (a linear congruential generator), so
/// that a misplaced part shows.
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.extend_from_slice(&state.to_le_bytes()[..(len - out.len()).min(8)]);
    }
    out
}
