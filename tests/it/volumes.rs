//! Zilliz Cloud volumes: the REST calls (`VolumeApi`) against the emulator's cloud flavor,
//! secrets kept out of `Debug` and errors, and `VolumeStorage` end to end — the emulator hands
//! out the credentials of a real S3 server (`s3s-fs` in-process, verifying Signature V4), the
//! writer uploads into the volume, and the data paths it reports import.

use crate::common::s3 as s3_server;

use crate::common::books::{local_files, row, rows, schema};
use crate::common::tempdir;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tempdir::TempDir;

use milvus_bulk_import::emulator::{Emulator, EmulatorConfig, Timing};
use milvus_bulk_import::writer::{BulkFileType, BulkWriter, VolumeStorage};
use milvus_bulk_import::{
    http, BulkImportApi, BulkImportRequest, CreateVolumeRequest, Error, FnTransport,
    ImportJobState, JobRequest, ListVolumesRequest, RetryPolicy, Transport, UreqTransport,
    VolumeApi,
};
use s3_server::{S3Server, ACCESS_KEY, SECRET_KEY};
use serde_json::{json, Value};

const KEY: &str = "cloud-api-key";
const BUCKET: &str = "zilliz-volumes";
const PROJECT: &str = "proj-0123456789";
const REGION: &str = "aws-us-west-2";
const CLUSTER: &str = "in01-abc";
const APPLY: &str = "/v2/volumes/apply";
const TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn cloud() -> EmulatorConfig {
    EmulatorConfig::cloud().api_key(KEY).timing(Timing::PerPoll)
}

/// An emulator whose volumes live in `s3`.
fn cloud_over(s3: &S3Server) -> EmulatorConfig {
    cloud().volume_store(&s3.endpoint, BUCKET, ACCESS_KEY, SECRET_KEY, "us-east-1")
}

fn start(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).expect("the emulator starts")
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(20))
        .max_backoff(Duration::from_millis(200))
}

fn api(emulator: &Emulator) -> BulkImportApi {
    BulkImportApi::builder(emulator.url())
        .api_key(KEY)
        .timeout(TIMEOUT)
        .retry(quick_retries())
        .build()
        .expect("client")
}

fn volumes(emulator: &Emulator) -> VolumeApi {
    api(emulator).volumes()
}

fn create(volumes: &VolumeApi, name: &str) {
    let created = volumes
        .create_volume(&CreateVolumeRequest::new(PROJECT, REGION, name))
        .expect("create volume");
    assert_eq!(created.data().volume_name, name);
}

fn applies(emulator: &Emulator) -> usize {
    emulator
        .requests()
        .iter()
        .filter(|r| r.path == APPLY)
        .count()
}

/// Writes `n` rows, one file each (chunk size 1), into `storage` under `path`; returns the
/// writer's batch files.
fn write_rows(
    storage: VolumeStorage,
    path: &str,
    file_type: BulkFileType,
    n: i64,
) -> Result<Vec<Vec<String>>, Error> {
    let staging = TempDir::new("staging");
    let mut writer = BulkWriter::builder(&schema(), staging.path())
        .file_type(file_type)
        .chunk_size(1)
        .volume(storage, path)
        .build()?;
    for i in 0..n {
        writer.append_row(&row(i))?;
    }
    writer.commit()?;
    Ok(writer.batch_files())
}

/// A transport that answers every request with `body`.
fn replying(body: &'static str) -> impl Transport + 'static {
    FnTransport::new(move |_| Ok(http::Response::new(body.as_bytes().to_vec())))
}

fn assert_hidden(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "{secret:?} shown in: {text}");
    }
}

// ---------------------------------------------------------------------------------------------
// REST calls
// ---------------------------------------------------------------------------------------------

#[test]
fn create_list_describe_delete() {
    let emulator = start(cloud());
    let volumes = volumes(&emulator);
    create(&volumes, "alpha");
    volumes
        .create_volume(
            &CreateVolumeRequest::new(PROJECT, REGION, "beta")
                .volume_type("EXTERNAL")
                .storage_integration_id("integ-1")
                .path("imports/"),
        )
        .expect("external volume");
    create(&volumes, "gamma");
    volumes
        .create_volume(&CreateVolumeRequest::new("proj-other", REGION, "delta"))
        .expect("another project");

    // The create bodies: optional keys only when set.
    let bodies: Vec<Value> = emulator
        .requests()
        .iter()
        .filter(|r| r.path == "/v2/volumes/create")
        .map(|r| r.json.clone().unwrap())
        .collect();
    assert_eq!(
        bodies[0],
        json!({"projectId": PROJECT, "regionId": REGION, "volumeName": "alpha"})
    );
    assert_eq!(
        bodies[1],
        json!({"projectId": PROJECT, "regionId": REGION, "volumeName": "beta",
               "type": "EXTERNAL", "storageIntegrationId": "integ-1", "path": "imports/"})
    );

    // List: the project's volumes, paged, filtered by type.
    let all = volumes
        .list_volumes(&ListVolumesRequest::new(PROJECT))
        .expect("list");
    let names: Vec<&str> = all
        .data()
        .volumes
        .iter()
        .map(|v| v.volume_name.as_str())
        .collect();
    assert_eq!(names, ["alpha", "beta", "gamma"]);
    assert_eq!(all.data().count, Some(3));
    assert_eq!(all.data().current_page, Some(1));
    assert_eq!(all.data().page_size, Some(10));
    let list_request = emulator.requests().last().unwrap().clone();
    assert_eq!(list_request.method, "GET");
    assert_eq!(list_request.path, "/v2/volumes");
    assert!(list_request.body.is_empty());
    assert!(list_request.headers.get("content-type").is_none());
    assert_eq!(
        list_request.headers["authorization"],
        format!("Bearer {KEY}").as_str()
    );

    let page2 = volumes
        .list_volumes(
            &ListVolumesRequest::new(PROJECT)
                .page_size(2)
                .current_page(2),
        )
        .expect("page 2");
    assert_eq!(page2.data().volumes.len(), 1);
    assert_eq!(page2.data().volumes[0].volume_name, "gamma");
    assert_eq!(page2.data().count, Some(3));
    let external = volumes
        .list_volumes(&ListVolumesRequest::new(PROJECT).volume_type("EXTERNAL"))
        .expect("external only");
    assert_eq!(external.data().volumes.len(), 1);
    let beta = &external.data().volumes[0];
    assert_eq!(beta.volume_name, "beta");
    assert_eq!(beta.volume_type.as_deref(), Some("EXTERNAL"));
    assert_eq!(beta.storage_integration_id.as_deref(), Some("integ-1"));
    assert_eq!(beta.path.as_deref(), Some("imports/"));

    // Describe and delete.
    let alpha = volumes
        .describe_volume("alpha")
        .expect("describe")
        .into_data();
    assert_eq!(alpha.volume_name, "alpha");
    assert_eq!(alpha.volume_type.as_deref(), Some("MANAGED"));
    assert_eq!(alpha.region_id.as_deref(), Some(REGION));
    assert_eq!(alpha.status.as_deref(), Some("RUNNING"));
    assert!(alpha.create_time.is_some());
    let describe = emulator.requests().last().unwrap().clone();
    assert_eq!(
        (describe.method.as_str(), describe.path.as_str()),
        ("GET", "/v2/volumes/alpha")
    );

    volumes.delete_volume("alpha").expect("delete");
    let delete = emulator.requests().last().unwrap().clone();
    assert_eq!(
        (delete.method.as_str(), delete.path.as_str()),
        ("DELETE", "/v2/volumes/alpha")
    );
    let err = volumes.describe_volume("alpha").unwrap_err();
    assert_eq!(err.api_code(), Some(96101), "{err}");
    let left = volumes
        .list_volumes(&ListVolumesRequest::new(PROJECT))
        .unwrap()
        .into_data();
    assert_eq!(left.count, Some(2));
}

#[test]
fn apply_hands_out_the_configured_store() {
    let emulator = start(
        cloud()
            .volume_store(
                "http://127.0.0.1:9",
                "b1",
                "AK-1",
                "SK-1/secret",
                "eu-west-1",
            )
            .volume_limits(1 << 20, 7),
    );
    let volumes = volumes(&emulator);
    create(&volumes, "vol");
    let applied = volumes
        .apply_volume("vol", "/books\\2024/./")
        .expect("apply");
    let body = emulator.requests().last().unwrap().json.clone().unwrap();
    assert_eq!(body, json!({"volumeName": "vol", "path": "books/2024/"}));

    let data = applied.data();
    assert_eq!(data.volume_name, "vol");
    assert_eq!(data.volume_prefix, "volumes/vol/");
    assert_eq!(data.endpoint, "http://127.0.0.1:9");
    assert_eq!(data.bucket_name, "b1");
    assert_eq!(data.region, "eu-west-1");
    assert_eq!(data.cloud, "aws");
    assert_eq!(data.condition.max_content_length, Some(1 << 20));
    assert_eq!(data.condition.max_file_number, Some(7));
    assert_eq!(data.credentials.tmp_ak, "AK-1");
    assert_eq!(data.credentials.tmp_sk, "SK-1/secret");
    assert!(data
        .credentials
        .session_token
        .starts_with("emulator-session-"));
    assert!(data.credentials.expire_time.ends_with('Z'));

    // A new token for each application; the root is the empty path.
    let again = volumes.apply_volume("vol", "/").unwrap().into_data();
    assert_ne!(
        again.credentials.session_token,
        data.credentials.session_token
    );
    let body = emulator.requests().last().unwrap().json.clone().unwrap();
    assert_eq!(body["path"], "");
}

#[test]
fn errors_in_zilliz_style_and_before_sending() {
    let emulator = start(cloud());
    let volumes = volumes(&emulator);
    create(&volumes, "vol");

    let api_code = |result: Result<(), Error>| result.unwrap_err().api_code();
    let create_named = |name: &str| {
        volumes
            .create_volume(&CreateVolumeRequest::new(PROJECT, REGION, name))
            .map(drop)
    };
    assert_eq!(api_code(create_named("vol")), Some(96102));
    assert_eq!(api_code(create_named("9-starts-with-a-digit")), Some(96103));
    assert_eq!(
        api_code(
            volumes
                .create_volume(
                    &CreateVolumeRequest::new(PROJECT, REGION, "ext").volume_type("EXTERNAL")
                )
                .map(drop)
        ),
        Some(1100)
    );
    assert_eq!(
        api_code(volumes.describe_volume("nope").map(drop)),
        Some(96101)
    );
    assert_eq!(
        api_code(volumes.delete_volume("nope").map(drop)),
        Some(96101)
    );
    assert_eq!(
        api_code(volumes.apply_volume("nope", "x/").map(drop)),
        Some(96101)
    );
    assert_eq!(
        api_code(
            volumes
                .list_volumes(&ListVolumesRequest::new(PROJECT).page_size(101))
                .map(drop)
        ),
        Some(96008)
    );
    let err = volumes.apply_volume("nope", "").unwrap_err();
    assert!(err.to_string().contains("Volume nope not found"), "{err}");

    // Wrong key: the cloud's 21119.
    let wrong = BulkImportApi::builder(emulator.url())
        .api_key("wrong")
        .build()
        .unwrap()
        .volumes();
    assert_eq!(
        api_code(wrong.describe_volume("vol").map(drop)),
        Some(21119)
    );

    // Refused before anything is sent.
    let sent = emulator.requests().len();
    for err in [
        volumes.describe_volume("").unwrap_err(),
        volumes.delete_volume(" ").unwrap_err(),
        volumes.apply_volume("vol", "a/../../b").unwrap_err(),
        volumes
            .create_volume(&CreateVolumeRequest::new("", REGION, "v"))
            .unwrap_err(),
        volumes
            .list_volumes(&ListVolumesRequest::new(PROJECT).page_size(0))
            .unwrap_err(),
        volumes
            .list_volumes(&ListVolumesRequest::new(PROJECT).current_page(0))
            .unwrap_err(),
        volumes
            .list_volumes(&ListVolumesRequest::new(""))
            .unwrap_err(),
    ] {
        assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    }
    assert_eq!(emulator.requests().len(), sent);

    // A name that needs escaping stays one path segment.
    let err = volumes.describe_volume("a/b c").unwrap_err();
    assert_eq!(err.api_code(), Some(96101));
    assert_eq!(
        emulator.requests().last().unwrap().path,
        "/v2/volumes/a%2Fb%20c"
    );

    // The Milvus flavor has no volumes.
    let milvus = start(EmulatorConfig::milvus());
    let err = BulkImportApi::new(milvus.url(), "")
        .unwrap()
        .volumes()
        .describe_volume("vol")
        .unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------

const APPLY_REPLY: &str = r#"{"code":0,"data":{"volumeName":"v","volumePrefix":"p/","endpoint":"s3.amazonaws.com","bucketName":"b","region":"us-west-2","cloud":"aws","condition":{"maxContentLength":1073741824,"maxFileNumber":1000},"credentials":{"tmpAK":"ASIA-TMP-AK-77","tmpSK":"tmp-secret-SK-88","sessionToken":"session-token-99","expireTime":"2099-12-31T23:59:59Z"}}}"#;
const SECRETS: [&str; 3] = ["ASIA-TMP-AK-77", "tmp-secret-SK-88", "session-token-99"];

#[test]
fn credentials_never_show_in_debug() {
    let api = BulkImportApi::builder("https://api.cloud.zilliz.com")
        .api_key("the-api-key-123")
        .transport(replying(APPLY_REPLY))
        .build()
        .unwrap();
    let applied = api.volumes().apply_volume("v", "x").unwrap();
    assert_eq!(applied.data().credentials.tmp_sk, "tmp-secret-SK-88");
    assert_eq!(
        applied.data().condition.max_content_length,
        Some(1_073_741_824)
    );
    for shown in [
        format!("{applied:?}"),
        format!("{:?}", applied.data()),
        format!("{:#?}", applied.data().credentials),
        format!("{:?}", api.volumes()),
    ] {
        assert_hidden(&shown, &SECRETS);
        assert_hidden(&shown, &["the-api-key-123"]);
    }
    assert!(format!("{:?}", applied.data()).contains("2099-12-31T23:59:59Z"));
}

#[test]
fn credentials_never_show_in_errors() {
    // A reply whose data does not fit (a bad maxFileNumber) quotes the body in the error,
    // without the credentials.
    let undecodable = r#"{"code":0,"data":{"volumeName":"v","condition":{"maxFileNumber":"many"},"credentials":{"tmpAK":"ASIA-TMP-AK-77","tmpSK":"tmp-secret-SK-88","sessionToken":"session-token-99","expireTime":"x"}}}"#;
    // A secret of the wrong type: named, never quoted.
    let wrong_type = r#"{"code":0,"data":{"credentials":{"tmpAK":"ASIA-TMP-AK-77","tmpSK":["tmp-secret-SK-88"],"sessionToken":"session-token-99"}}}"#;
    // An error that echoes them.
    let echoed = r#"{"code":96100,"message":"token session-token-99 for tmp-secret-SK-88 rejected","data":{"credentials":{"tmpAK":"ASIA-TMP-AK-77","tmpSK":"tmp-secret-SK-88","sessionToken":"session-token-99"}}}"#;
    // Not JSON at all.
    let broken = r#"{"code":0,"data":{"credentials":{"tmpAK":"ASIA-TMP-AK-77","tmpSK":"tmp-secret-SK-88","sessionToken":"session-token-99""#;
    for (body, kind) in [
        (undecodable, "decode"),
        (wrong_type, "decode"),
        (echoed, "api"),
        (broken, "decode"),
    ] {
        let api = BulkImportApi::builder("https://api.cloud.zilliz.com")
            .transport(replying(body))
            .retry(RetryPolicy::none())
            .build()
            .unwrap();
        let err = api.volumes().apply_volume("v", "").unwrap_err();
        match kind {
            "api" => assert_eq!(err.api_code(), Some(96100)),
            _ => assert!(matches!(err, Error::Decode { .. }), "{err:?}"),
        }
        assert_hidden(&err.to_string(), &SECRETS);
        assert_hidden(&format!("{err:?}"), &SECRETS);
    }
}

// ---------------------------------------------------------------------------------------------
// VolumeStorage end to end: emulator + real S3 server
// ---------------------------------------------------------------------------------------------

#[test]
fn writer_uploads_into_the_volume_and_the_data_paths_import() {
    let s3 = S3Server::start(&[BUCKET]);
    let emulator = start(cloud_over(&s3).cluster_id(CLUSTER));
    create(&volumes(&emulator), "my-volume");
    emulator.clear_requests();

    let storage = VolumeStorage::new(emulator.url(), KEY, "my-volume");
    let files = write_rows(storage, "books/", BulkFileType::Json, 3).expect("write and upload");

    // batch_files are volume paths, one file per chunk.
    assert_eq!(files.len(), 3);
    let uuid = files[0][0]
        .strip_prefix("books/")
        .and_then(|rest| rest.split('/').next())
        .expect("books/<uuid>/…")
        .to_string();
    for (n, group) in files.iter().enumerate() {
        assert_eq!(group, &[format!("books/{uuid}/{}.json", n + 1)]);
    }
    // The objects are under the volume's prefix, with the bytes a local writer writes.
    let expected = local_files(BulkFileType::Json, Some(1), &rows(3));
    let objects = s3.objects(BUCKET);
    assert_eq!(objects.len(), 3, "{objects:?}");
    for (group, bytes) in files.iter().zip(&expected) {
        let key = format!("volumes/my-volume/{}", group[0]);
        assert_eq!(s3.object(BUCKET, &key).as_ref(), Some(bytes), "{key}");
    }
    // One application served every file (they are valid for an hour).
    assert_eq!(applies(&emulator), 1);
    let applied = emulator
        .requests()
        .into_iter()
        .find(|r| r.path == APPLY)
        .unwrap();
    assert_eq!(
        applied.json.unwrap(),
        json!({"volumeName": "my-volume", "path": "books/"})
    );

    // The data paths import.
    let api = api(&emulator);
    let created = api
        .bulk_import(
            &BulkImportRequest::new("books")
                .cluster_id(CLUSTER)
                .volume_name("my-volume")
                .data_paths(files.clone()),
        )
        .expect("import");
    let create_body = emulator.requests().last().unwrap().json.clone().unwrap();
    assert_eq!(create_body["volumeName"], "my-volume");
    assert_eq!(create_body["dataPaths"], json!(files));
    let job = JobRequest::new(&created.data().job_id).cluster_id(CLUSTER);
    let mut progress = api.get_import_progress(&job).unwrap().into_data();
    while !progress.state.is_terminal() {
        progress = api.get_import_progress(&job).unwrap().into_data();
    }
    assert_eq!(progress.state, ImportJobState::Completed);
}

#[test]
fn numpy_chunks_keep_their_folders() {
    let s3 = S3Server::start(&[BUCKET]);
    let emulator = start(cloud_over(&s3));
    create(&volumes(&emulator), "np");
    let files = write_rows(
        VolumeStorage::new(emulator.url(), KEY, "np"),
        "",
        BulkFileType::Numpy,
        2,
    )
    .expect("write and upload");
    assert_eq!(files.len(), 2);
    let mut keys: Vec<String> = files.iter().flatten().cloned().collect();
    for (n, group) in files.iter().enumerate() {
        for file in group {
            assert!(
                file.contains(&format!("/{}/", n + 1)) && file.ends_with(".npy"),
                "{file}"
            );
        }
    }
    // Every column file of every chunk is there: nothing overwrote anything.
    keys = keys
        .into_iter()
        .map(|k| format!("volumes/np/{k}"))
        .collect();
    keys.sort();
    assert_eq!(s3.objects(BUCKET), keys);
    // The volume root was applied for.
    let applied = emulator
        .requests()
        .into_iter()
        .find(|r| r.path == APPLY)
        .unwrap();
    assert_eq!(applied.json.unwrap()["path"], "");
}

#[test]
fn short_lived_credentials_are_applied_for_again() {
    let s3 = S3Server::start(&[BUCKET]);
    // Credentials that expire within the 5-minute margin: each file applies again.
    let emulator = start(cloud_over(&s3).volume_credentials_ttl(Duration::from_secs(60)));
    create(&volumes(&emulator), "vol");
    emulator.clear_requests();
    let files = write_rows(
        VolumeStorage::new(emulator.url(), KEY, "vol"),
        "short",
        BulkFileType::Parquet,
        3,
    )
    .expect("write and upload");
    assert_eq!(files.len(), 3);
    // One at build(), one for each of the three files.
    assert_eq!(applies(&emulator), 4);
    assert_eq!(s3.objects(BUCKET).len(), 3);
}

#[test]
fn max_file_number_makes_it_apply_again_and_max_content_length_refuses() {
    let s3 = S3Server::start(&[BUCKET]);
    let emulator = start(cloud_over(&s3).volume_limits(1 << 30, 1));
    create(&volumes(&emulator), "vol");
    emulator.clear_requests();
    let files = write_rows(
        VolumeStorage::new(emulator.url(), KEY, "vol"),
        "one-each",
        BulkFileType::Json,
        3,
    )
    .unwrap();
    assert_eq!(files.len(), 3);
    // build() applied; its credentials took the first file, then one application per file.
    assert_eq!(applies(&emulator), 3);

    let tiny = start(cloud_over(&s3).volume_limits(10, 1000));
    create(&volumes(&tiny), "vol");
    let err = write_rows(
        VolumeStorage::new(tiny.url(), KEY, "vol"),
        "big",
        BulkFileType::Json,
        1,
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    assert!(err.to_string().contains("maxContentLength"), "{err}");
    assert_eq!(s3.objects(BUCKET).len(), 3, "nothing more was uploaded");
}

#[test]
fn refused_credentials_apply_again_and_retry_once() {
    let s3 = S3Server::start(&[BUCKET]);
    let emulator = start(cloud_over(&s3));
    create(&volumes(&emulator), "vol");
    emulator.clear_requests();

    // The first application's secret key is spoilt on the way: its upload gets 403, a new
    // application brings good credentials, and the file goes up.
    let spoilt = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&spoilt);
    let inner = UreqTransport::new();
    let transport = FnTransport::new(move |request: http::Request<Vec<u8>>| {
        let apply = request.uri().path() == APPLY;
        let mut reply = inner.send(request)?;
        if apply && count.fetch_add(1, Ordering::SeqCst) == 0 {
            let text = String::from_utf8(reply.body().clone()).unwrap();
            *reply.body_mut() = text.replace(SECRET_KEY, "not-the-secret").into_bytes();
        }
        Ok(reply)
    });
    let api = BulkImportApi::builder(emulator.url())
        .api_key(KEY)
        .transport(transport)
        .retry(quick_retries())
        .build()
        .unwrap();
    let files = write_rows(
        VolumeStorage::from_api(api, "vol"),
        "retry",
        BulkFileType::Json,
        2,
    )
    .expect("uploaded after applying again");
    assert_eq!(files.len(), 2);
    assert_eq!(applies(&emulator), 2);
    assert_eq!(s3.objects(BUCKET).len(), 2);

    // Credentials that never work: applied for twice, then the store's refusal, without any
    // secret in it.
    let bad = start(cloud().volume_store(
        &s3.endpoint,
        BUCKET,
        ACCESS_KEY,
        "wrong-secret-xyz",
        "us-east-1",
    ));
    create(&volumes(&bad), "vol");
    bad.clear_requests();
    let storage = VolumeStorage::new(bad.url(), KEY, "vol");
    let err = write_rows(storage, "denied", BulkFileType::Json, 1).unwrap_err();
    assert_eq!(err.status(), Some(403), "{err:?}");
    assert!(matches!(err, Error::Storage { .. }), "{err:?}");
    assert_eq!(applies(&bad), 2);
    assert_hidden(
        &err.to_string(),
        &["wrong-secret-xyz", "emulator-session-", KEY],
    );
    assert_hidden(
        &format!("{err:?}"),
        &["wrong-secret-xyz", "emulator-session-", KEY],
    );
    assert_eq!(s3.objects(BUCKET).len(), 2);
}

#[test]
fn storage_debug_and_build_errors() {
    let s3 = S3Server::start(&[BUCKET]);
    let emulator = start(cloud_over(&s3));
    create(&volumes(&emulator), "vol");

    // Debug shows no key, before and after applying.
    let storage = VolumeStorage::new(emulator.url(), KEY, "vol");
    assert_hidden(&format!("{storage:?}"), &[KEY]);
    let staging = TempDir::new("debug");
    let writer = BulkWriter::builder(&schema(), staging.path())
        .volume(storage, "dbg")
        .build()
        .expect("build applies");
    assert_hidden(
        &format!("{writer:?}"),
        &[KEY, SECRET_KEY, "emulator-session-"],
    );
    drop(writer);

    // A volume that does not exist fails at build(), with Zilliz's code.
    let err = BulkWriter::builder(&schema(), staging.path())
        .volume(VolumeStorage::new(emulator.url(), KEY, "missing"), "x")
        .build()
        .unwrap_err();
    assert_eq!(err.api_code(), Some(96101), "{err}");

    // A path that leaves the volume fails before anything is sent.
    let err = BulkWriter::builder(&schema(), staging.path())
        .volume(VolumeStorage::new(emulator.url(), KEY, "vol"), "../x")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");

    // GCP volumes upload with OAuth: not supported, said at build().
    let gcp = start(cloud_over(&s3).volume_cloud("gcp"));
    create(&volumes(&gcp), "vol");
    let err = BulkWriter::builder(&schema(), staging.path())
        .volume(VolumeStorage::new(gcp.url(), KEY, "vol"), "x")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(err.to_string().contains("GCP"), "{err}");
}
