//! The import-job endpoints, as the tests that talk to the emulator with raw requests or check
//! recorded requests name them.

pub const CREATE: &str = "/v2/vectordb/jobs/import/create";
pub const DESCRIBE: &str = "/v2/vectordb/jobs/import/describe";
pub const LIST: &str = "/v2/vectordb/jobs/import/list";
pub const COMMIT: &str = "/v2/vectordb/jobs/import/commit";
pub const ABORT: &str = "/v2/vectordb/jobs/import/abort";
