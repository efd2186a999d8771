//! The integration tests, in one test binary: each module is one capability, gated by the
//! features it needs. One binary links the crate and its test dependencies (ureq, rustls,
//! arrow, parquet, s3s) once instead of once per file.
//!
//! Run one capability with `cargo test --all-features --test it -- writer::` (a module path
//! filter). `tests/transport_threads.rs` stays a binary of its own: it counts the process's
//! threads, so no other test may run beside it.

mod common;

#[cfg(all(feature = "cli", feature = "emulator"))]
mod cli;
#[cfg(all(feature = "cli", feature = "emulator"))]
mod cli_writer;
#[cfg(feature = "writer")]
mod describe_collection;
#[cfg(all(feature = "emulator", feature = "ureq"))]
mod emulator_binary;
#[cfg(all(feature = "emulator", feature = "ureq"))]
mod emulator_cloud;
#[cfg(all(feature = "emulator", feature = "writer", feature = "ureq"))]
mod emulator_files;
#[cfg(all(feature = "emulator", feature = "ureq"))]
mod emulator_limits;
#[cfg(all(feature = "emulator", feature = "ureq"))]
mod emulator_milvus;
mod errors;
#[cfg(all(feature = "emulator", feature = "ureq"))]
mod pages_and_wait;
mod parsing;
mod property;
#[cfg(feature = "ureq")]
mod retry;
#[cfg(feature = "ureq")]
mod tls;
#[cfg(feature = "ureq")]
mod transport;
#[cfg(all(feature = "writer", feature = "ureq"))]
mod upload;
#[cfg(all(feature = "writer", feature = "emulator", feature = "ureq"))]
mod volumes;
mod wire;
#[cfg(feature = "writer")]
mod writer;
