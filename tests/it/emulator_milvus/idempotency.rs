//! `Idempotency-Key` on create: the first job's id again, invalid keys, the scope of a key.

use super::*;

// ---------------------------------------------------------------------------------------------
// 8. Idempotency-Key
// ---------------------------------------------------------------------------------------------

/// A transport that adds an `Idempotency-Key` header to every request, then delegates to the
/// built-in ureq transport.
struct WithIdempotencyKey {
    inner: UreqTransport,
    key: String,
}

impl Transport for WithIdempotencyKey {
    fn send(
        &self,
        mut request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let value = http::HeaderValue::from_str(&self.key).expect("a header value");
        request.headers_mut().insert("idempotency-key", value);
        self.inner.send(request)
    }
}

fn keyed_client(emulator: &Emulator, key: &str) -> BulkImportApi {
    let transport = UreqTransport::builder()
        .connect_timeout(TIMEOUT)
        .timeout(TIMEOUT)
        .build()
        .expect("transport");
    BulkImportApi::builder(emulator.url())
        .transport(WithIdempotencyKey {
            inner: transport,
            key: key.to_string(),
        })
        .build()
        .expect("client")
}

#[test]
fn idempotency_key_on_create_returns_the_first_jobs_id() {
    let emulator = start(EmulatorConfig::milvus());
    let first_key = keyed_client(&emulator, "import-2025-01-16-books");
    let other_key = keyed_client(&emulator, "another-key");
    let plain = client(&emulator, "");
    let books = BulkImportRequest::new("books").files([["a.parquet"]]);

    let first = create(&first_key, &books);
    assert_eq!(
        create(&first_key, &books),
        first,
        "a retry gets the same job"
    );
    assert_eq!(
        listed_ids(&plain, &ListImportJobsRequest::new()),
        vec![first.clone()]
    );

    let second = create(&other_key, &books);
    assert_ne!(second, first, "another key makes another job");
    let films = create(
        &first_key,
        &BulkImportRequest::new("films").files([["a.parquet"]]),
    );
    assert_ne!(films, first, "a key is scoped to its collection");
    assert_ne!(films, second);
    assert_eq!(create(&first_key, &books), first);
    assert_eq!(create(&other_key, &books), second);

    let without_a = create(&plain, &books);
    let without_b = create(&plain, &books);
    assert_ne!(without_a, without_b, "no key, no deduplication");
    assert_eq!(
        listed_ids(&plain, &ListImportJobsRequest::new()),
        sorted(vec![first, second, films, without_a, without_b])
    );

    let keys: Vec<Option<String>> = emulator
        .requests()
        .iter()
        .filter(|r| r.path == CREATE)
        .map(|r| {
            r.headers
                .get("idempotency-key")
                .map(|v| v.to_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(keys[0].as_deref(), Some("import-2025-01-16-books"));
    assert_eq!(keys.last().unwrap(), &None);
}

#[test]
fn invalid_idempotency_keys_get_code_1100() {
    let emulator = start(EmulatorConfig::milvus());
    let books = BulkImportRequest::new("books").files([["a.parquet"]]);

    let longest = "k".repeat(256);
    let id = create(&keyed_client(&emulator, &longest), &books);
    assert_decimal_id(&id);
    assert_eq!(
        code_of(keyed_client(&emulator, &"k".repeat(257)).bulk_import(&books)),
        1100
    );

    let body = r#"{"collectionName":"books","files":[["a.parquet"]]}"#;
    for key in ["", "caf\u{e9}"] {
        let reply = raw(&emulator, "POST", CREATE, &[("Idempotency-Key", key)], body);
        assert_eq!(reply.code(), 1100, "key {key:?}");
    }
    assert_eq!(
        listed_ids(&client(&emulator, ""), &ListImportJobsRequest::new()),
        [id]
    );
}

/// An `Idempotency-Key` is scoped to the collection (wire-protocol.md §2.3), and `books` of
/// `db1` is not `books` of `default`.
#[test]
fn idempotency_key_is_scoped_to_the_collection_of_its_database() {
    let emulator = start(EmulatorConfig::milvus().database("db1"));
    let api = keyed_client(&emulator, "same-key");
    let in_default = create(
        &api,
        &BulkImportRequest::new("books").files([["a.parquet"]]),
    );
    let in_db1 = create(
        &api,
        &BulkImportRequest::new("books")
            .db_name("db1")
            .files([["a.parquet"]]),
    );
    assert_ne!(in_db1, in_default);
    assert_eq!(
        listed_ids(
            &client(&emulator, ""),
            &ListImportJobsRequest::new().db_name("db1")
        ),
        [in_db1]
    );
}
