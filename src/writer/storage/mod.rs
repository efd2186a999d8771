//! Where a finished file goes once it is written in the local staging directory: an
//! S3-compatible bucket ([`S3Storage`]) or a Zilliz Cloud volume ([`VolumeStorage`]).
//!
//! Each storage is one file behind the small [`Remote`] trait; the writer calls
//! [`Remote::check`] once when it is built and [`Remote::upload`] for each finished file, then
//! deletes the local copy.

use std::fmt;
use std::path::Path;

use crate::Error;

mod s3;
mod volume;
pub use s3::S3Storage;
pub use volume::VolumeStorage;

/// A destination for finished files.
pub(crate) trait Remote: Send + Sync + fmt::Debug {
    /// Checks the destination once, before anything is written (the bucket exists, the
    /// credentials work).
    fn check(&self) -> Result<(), Error>;

    /// Uploads the local file `local` as `key` (a bucket-relative object key, or a path in
    /// the volume). Repeating an upload of the same file and key is harmless.
    fn upload(&self, local: &Path, key: &str) -> Result<(), Error>;
}

/// The size of a file about to be uploaded.
pub(crate) fn file_size(local: &Path) -> Result<u64, Error> {
    std::fs::metadata(local)
        .map(|m| m.len())
        .map_err(|source| Error::io("reading the file to upload", local.to_path_buf(), source))
}

/// `prefix/uuid/relative`, without leading or doubled slashes (pymilvus's key layout).
pub(crate) fn object_key(prefix: &str, uuid: &str, relative: &str) -> String {
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() {
        format!("{uuid}/{relative}")
    } else {
        format!("{prefix}/{uuid}/{relative}")
    }
}

#[cfg(test)]
mod tests {
    use super::object_key;

    #[test]
    fn keys_are_bucket_relative() {
        assert_eq!(
            object_key("bulk_data/sub", "u", "1.parquet"),
            "bulk_data/sub/u/1.parquet"
        );
        assert_eq!(
            object_key("/bulk_data/", "u", "1/id.npy"),
            "bulk_data/u/1/id.npy"
        );
        assert_eq!(object_key("", "u", "1.json"), "u/1.json");
    }
}
