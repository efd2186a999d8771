//! The toolbox shared by the integration tests, each part gated by the features of the tests
//! that use it:
//!
//! - here: [`Recorder`], a transport that records requests and answers with a canned reply,
//!   and [`replying`], a client on top of it;
//! - [`books`]: the "books" schema, rows and local files of the writer's upload tests;
//! - [`child`]: a child process killed and reaped on drop, waited for with a time limit;
//! - [`cli`]: the `milvus-import` binary run as a subprocess, and the checks on its output;
//! - [`paths`]: the import-job endpoints;
//! - [`raw`]: a raw HTTP/1.1 client on `std::net` for what the SDK cannot send;
//! - [`server`]: a scripted HTTP/1.1 server on 127.0.0.1 for transport-level tests;
//! - [`s3`]: a real S3 server (`s3s-fs`, verifying Signature V4) and a connection-cutting proxy;
//! - [`tempdir`]: a temporary directory removed on drop, and what a directory holds.

#[cfg(all(feature = "writer", feature = "ureq"))]
pub mod books;
#[cfg(all(feature = "emulator", feature = "ureq"))]
pub mod child;
#[cfg(all(feature = "cli", feature = "emulator"))]
pub mod cli;
#[cfg(all(feature = "emulator", feature = "ureq"))]
pub mod paths;
#[cfg(all(feature = "emulator", feature = "ureq"))]
pub mod raw;
#[cfg(all(feature = "writer", feature = "ureq"))]
pub mod s3;
#[cfg(feature = "ureq")]
pub mod server;
#[cfg(any(feature = "writer", feature = "ureq"))]
pub mod tempdir;

use std::sync::{Arc, Mutex};

use milvus_bulk_import::{http, BulkImportApi, Transport, TransportError};

/// Records every request and answers each with the same status and body.
#[derive(Clone)]
pub struct Recorder {
    requests: Arc<Mutex<Vec<http::Request<Vec<u8>>>>>,
    status: u16,
    body: Vec<u8>,
}

impl Recorder {
    pub fn replying(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Recorder {
            requests: Arc::default(),
            status,
            body: body.into(),
        }
    }

    /// A recorder answering `{"code":0,"data":{}}`.
    pub fn ok() -> Self {
        Self::replying(200, &br#"{"code":0,"data":{}}"#[..])
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    /// The one request sent so far (panics unless exactly one was).
    pub fn only(&self) -> http::Request<Vec<u8>> {
        let requests = self.requests.lock().unwrap();
        assert_eq!(requests.len(), 1, "expected exactly one request");
        requests[0].clone()
    }

    /// A client of `url` with `api_key` that sends through this recorder.
    pub fn api(&self, url: &str, api_key: &str) -> BulkImportApi {
        BulkImportApi::builder(url)
            .api_key(api_key)
            .retry(milvus_bulk_import::RetryPolicy::none())
            .transport(self.clone())
            .build()
            .expect("client")
    }
}

impl Transport for Recorder {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        self.requests.lock().unwrap().push(request);
        let mut reply = http::Response::new(self.body.clone());
        *reply.status_mut() = http::StatusCode::from_u16(self.status).unwrap();
        Ok(reply)
    }
}

/// A client whose transport answers every request with `status` and `body`.
pub fn replying(status: u16, body: &str) -> BulkImportApi {
    Recorder::replying(status, body.as_bytes()).api("http://127.0.0.1:19530", "root:Milvus")
}

/// The body of `request` as JSON.
pub fn json_body(request: &http::Request<Vec<u8>>) -> serde_json::Value {
    serde_json::from_slice(request.body()).expect("request body is JSON")
}
