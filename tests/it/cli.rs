//! The `milvus-import` binary, run as a subprocess against an in-process emulator: every
//! subcommand, both output modes, progress lines, `--verbose`, and the exit codes
//! (0 ok, 1 API/HTTP/transport error, 2 usage, 3 import failed, 4 wait timed out).
//!
//! The environment variables the binary reads are removed, so a developer's `MILVUS_URI` /
//! `MILVUS_TOKEN` cannot leak in, and every run is killed after 20 s.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::cli::{bin, run, run_env, Out, Running};
use crate::common::paths::{CREATE, LIST};
use crate::common::server::read_request;

use milvus_bulk_import::emulator::{Emulator, EmulatorConfig, SeedJob, Timing};
use milvus_bulk_import::ImportJobState;
use serde_json::{json, Value};

const CLUSTER: &str = "in01-cli";

fn milvus() -> Emulator {
    Emulator::start(EmulatorConfig::milvus().timing(Timing::PerPoll)).expect("emulator")
}

fn cloud() -> Emulator {
    Emulator::start(
        EmulatorConfig::cloud()
            .cluster_id(CLUSTER)
            .timing(Timing::PerPoll),
    )
    .expect("emulator")
}

fn list_requests(emulator: &Emulator) -> usize {
    emulator
        .requests()
        .iter()
        .filter(|r| r.path == LIST)
        .count()
}

fn created_job(out: &Out) -> String {
    out.json_stream()[0]["data"]["jobId"]
        .as_str()
        .unwrap_or_else(|| panic!("no jobId: {out:#?}"))
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// list
// ---------------------------------------------------------------------------------------------

#[test]
fn list_table_shows_aligned_columns() {
    let emulator = milvus();
    let done = emulator.seed_job(SeedJob::new("books").state(ImportJobState::Completed));
    let failed = emulator.seed_job(
        SeedJob::new("movies")
            .state(ImportJobState::Failed)
            .reason("disk quota exceeded"),
    );
    let out = run(&emulator, &["list", "--output", "table"]);
    out.ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{out:#?}");
    for column in ["JOB ID", "COLLECTION", "STATE", "PROGRESS", "REASON"] {
        assert!(lines[0].contains(column), "{out:#?}");
    }
    let state_col = lines[0].find("STATE").unwrap();
    let done_line = lines.iter().find(|l| l.contains(&done)).unwrap();
    let failed_line = lines.iter().find(|l| l.contains(&failed)).unwrap();
    assert_eq!(&done_line[state_col..state_col + 9], "Completed");
    assert_eq!(&failed_line[state_col..state_col + 6], "Failed");
    assert!(done_line.contains("100%") && done_line.contains("books"));
    assert!(failed_line.ends_with("disk quota exceeded"), "{out:#?}");
    assert!(out.stderr.is_empty(), "{out:#?}");
}

#[test]
fn list_json_is_the_server_reply_and_the_default_off_a_terminal() {
    let emulator = milvus();
    emulator.seed_job(SeedJob::new("books"));
    emulator.seed_job(SeedJob::new("movies"));
    let explicit = run(&emulator, &["list", "--output", "json"]);
    explicit.ok();
    let body = explicit.json();
    assert_eq!(body["code"], 0);
    assert_eq!(body["data"]["records"].as_array().unwrap().len(), 2);
    // stdout is a pipe here: json is the default.
    let default = run(&emulator, &["list"]);
    default.ok();
    assert_eq!(default.json(), body);
    // --collection filters on the server.
    let one = run(
        &emulator,
        &["list", "--collection", "movies", "--output", "json"],
    );
    let records = one.ok().json()["data"]["records"].clone();
    assert_eq!(records.as_array().unwrap().len(), 1);
    assert_eq!(records[0]["collectionName"], "movies");
}

#[test]
fn list_all_walks_every_cloud_page() {
    let emulator = cloud();
    for i in 0..25 {
        emulator.seed_job(SeedJob::new(format!("c{i}")).cluster_id(CLUSTER));
    }
    let out = run(
        &emulator,
        &[
            "--cluster-id",
            CLUSTER,
            "list",
            "--all",
            "--page-size",
            "10",
            "--output",
            "json",
        ],
    );
    out.ok();
    let records = out.json();
    let records = records.as_array().expect("one JSON array");
    assert_eq!(records.len(), 25);
    let ids: HashSet<&str> = records
        .iter()
        .map(|r| r["jobId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 25);
    assert!(records.iter().all(|r| r["state"] == "Pending"));
    assert_eq!(list_requests(&emulator), 3);

    // One page without --all: the server's reply, page 3 of 10 holds 5.
    let page = run(
        &emulator,
        &[
            "--cluster-id",
            CLUSTER,
            "list",
            "--page-size",
            "10",
            "--page",
            "3",
            "--output",
            "json",
        ],
    );
    let body = page.ok().json();
    assert_eq!(body["data"]["records"].as_array().unwrap().len(), 5);
    assert_eq!(body["data"]["count"], 25);

    // Table, every page: header + 25 rows.
    let table = run(
        &emulator,
        &[
            "--cluster-id",
            CLUSTER,
            "list",
            "--all",
            "--page-size",
            "10",
            "--output",
            "table",
        ],
    );
    assert_eq!(table.ok().stdout.lines().count(), 26, "{table:#?}");
}

#[test]
fn cluster_id_comes_from_the_environment_too() {
    let emulator = cloud();
    emulator.seed_job(SeedJob::new("books").cluster_id(CLUSTER));
    let uri = emulator.url();
    let out = run_env(
        &["list", "--output", "json"],
        &[("MILVUS_URI", &uri), ("ZILLIZ_CLUSTER_ID", CLUSTER)],
    );
    assert_eq!(
        out.ok().json()["data"]["records"].as_array().unwrap().len(),
        1
    );
    assert_eq!(
        emulator.requests()[0].json.as_ref().unwrap()["clusterId"],
        CLUSTER
    );
}

// ---------------------------------------------------------------------------------------------
// create, progress
// ---------------------------------------------------------------------------------------------

#[test]
fn create_sends_one_group_per_file_and_string_options() {
    let emulator = milvus();
    let out = run(
        &emulator,
        &[
            "create",
            "--collection",
            "books",
            "--file",
            "a.parquet",
            "b.parquet",
            "--option",
            "timeout=300s",
            "--option",
            "auto_commit=true",
            "--partition",
            "p1",
            "--output",
            "json",
        ],
    );
    out.ok();
    let job = created_job(&out);
    assert!(job.parse::<i64>().is_ok(), "{job}");
    let sent = emulator.requests()[0].clone();
    assert_eq!(sent.path, CREATE);
    let body = sent.json.unwrap();
    assert_eq!(body["files"], json!([["a.parquet"], ["b.parquet"]]));
    assert_eq!(
        body["options"],
        json!({"timeout": "300s", "auto_commit": "true"})
    );
    assert_eq!(body["partitionName"], "p1");
    assert_eq!(body["collectionName"], "books");

    // progress, in both modes.
    let table = run(&emulator, &["progress", &job, "--output", "table"]);
    table.ok();
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{table:#?}");
    assert!(lines[0].contains("ROWS"));
    assert!(lines[1].starts_with(&job) && lines[1].contains("Pending"));
    let json = run(&emulator, &["progress", &job, "--output", "json"]);
    let body = json.ok().json();
    assert_eq!(body["data"]["jobId"], job.as_str());
    assert_eq!(body["data"]["state"], "Importing");
}

#[test]
fn create_on_cloud_with_object_urls_and_volume_keeps_secrets_out_of_output() {
    let emulator = cloud();
    let out = run(
        &emulator,
        &[
            "--cluster-id",
            CLUSTER,
            "create",
            "--collection",
            "books",
            "--object-url",
            "s3://b/1.parquet",
            "--object-url",
            "s3://b/2/",
            "--access-key",
            "AKIA-cli",
            "--secret-key",
            "very-secret-key",
            "--session-token",
            "session-tok",
            "--output",
            "table",
        ],
    );
    out.ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{out:#?}");
    assert!(lines[0].starts_with("JOB ID"));
    assert!(lines[1].starts_with("job-"), "{out:#?}");
    let body = emulator.requests()[0].json.clone().unwrap();
    assert_eq!(
        body["objectUrls"],
        json!([["s3://b/1.parquet"], ["s3://b/2/"]])
    );
    assert_eq!(body["secretKey"], "very-secret-key");
    assert_eq!(body["token"], "session-tok");
    assert!(!out.stdout.contains("very-secret-key") && !out.stderr.contains("very-secret-key"));
    out.hides(&["very-secret-key", "session-tok"]);

    let volume = run(
        &emulator,
        &[
            "--cluster-id",
            CLUSTER,
            "create",
            "--collection",
            "books",
            "--volume",
            "vol1",
            "--data-path",
            "a/",
            "b/",
            "--output",
            "json",
        ],
    );
    volume.ok();
    assert!(created_job(&volume).starts_with("job-"));
    let body = emulator.requests()[1].json.clone().unwrap();
    assert_eq!(body["volumeName"], "vol1");
    assert_eq!(body["dataPaths"], json!([["a/"], ["b/"]]));
}

#[test]
fn create_wait_prints_progress_lines_and_the_final_reply() {
    let emulator = milvus();
    let out = run(
        &emulator,
        &[
            "create",
            "--collection",
            "books",
            "--file",
            "1.parquet",
            "--wait",
            "--interval",
            "10ms",
            "--output",
            "json",
        ],
    );
    out.ok();
    let docs = out.json_stream();
    assert_eq!(docs.len(), 2, "{out:#?}");
    assert_eq!(docs[1]["data"]["state"], "Completed");
    assert_eq!(docs[1]["data"]["jobId"], docs[0]["data"]["jobId"]);
    let lines: Vec<&str> = out.stderr.lines().collect();
    let heads: Vec<String> = lines
        .iter()
        .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        heads,
        [
            "Pending 0%",
            "Importing 25%",
            "Importing 50%",
            "Importing 75%",
            "Completed 100%"
        ]
    );
    assert!(lines.iter().all(|l| l.ends_with(" rows")));
    assert_eq!(lines[4], "Completed 100% 1000/1000 rows");
}

// ---------------------------------------------------------------------------------------------
// wait
// ---------------------------------------------------------------------------------------------

#[test]
fn wait_completed_exits_0_with_a_table() {
    let emulator = milvus();
    let job = emulator.seed_job(SeedJob::new("books"));
    let out = run(
        &emulator,
        &[
            "wait",
            &job,
            "--interval",
            "10ms",
            "--timeout",
            "30s",
            "--output",
            "table",
        ],
    );
    out.ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{out:#?}");
    assert!(lines[1].starts_with(&job));
    assert!(lines[1].contains("Completed") && lines[1].contains("100%"));
    assert!(out
        .stderr
        .lines()
        .last()
        .unwrap()
        .starts_with("Completed 100%"));
}

#[test]
fn wait_on_a_failed_import_exits_3_with_the_reason() {
    let emulator = milvus();
    let created = run(
        &emulator,
        &[
            "create",
            "--collection",
            "books",
            "--file",
            "data/fail.parquet",
            "--output",
            "json",
        ],
    );
    let job = created_job(created.ok());
    let out = run(&emulator, &["wait", &job, "--interval", "10ms"]);
    // The last stderr line is the error; the lines before it are progress.
    let last = out.fails_after_progress(3);
    assert_eq!(
        last,
        format!(
            "milvus-import: import job {job} failed: failed to read file 'data/fail.parquet': \
             injected failure (the path contains \"fail\")"
        )
    );
    assert!(last.contains(&job), "{out:#?}");
    assert!(
        last.contains("failed to read file 'data/fail.parquet'"),
        "{out:#?}"
    );
    assert!(out.stdout.is_empty(), "{out:#?}");

    // The same through create --wait.
    let out = run(
        &emulator,
        &[
            "create",
            "--collection",
            "books",
            "--file",
            "fail.parquet",
            "--wait",
            "--interval",
            "10ms",
            "--output",
            "table",
        ],
    );
    assert_eq!(out.code, 3, "{out:#?}");
    assert!(out.stderr.contains("injected failure"), "{out:#?}");

    // progress of a failed job is not an error.
    let progress = run(&emulator, &["progress", &job, "--output", "table"]);
    assert!(progress.ok().stdout.contains("Failed"));
}

#[test]
fn wait_timeout_exits_4() {
    let emulator =
        Emulator::start(EmulatorConfig::milvus().timing(Timing::Manual)).expect("emulator");
    let job = emulator.seed_job(SeedJob::new("books"));
    let started = Instant::now();
    let out = run(
        &emulator,
        &["wait", &job, "--timeout", "300ms", "--interval", "50ms"],
    );
    let last = out.fails_after_progress(4).to_string();
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(last.contains("had not finished"), "{out:#?}");
    assert!(last.contains("Pending"), "{out:#?}");
    assert_eq!(emulator.job_state(&job), Some(ImportJobState::Pending));
}

#[test]
fn two_phase_commit_and_abort() {
    let emulator = milvus();
    let create = |emulator: &Emulator| {
        let out = run(
            emulator,
            &[
                "create",
                "--collection",
                "books",
                "--file",
                "1.parquet",
                "--option",
                "auto_commit=false",
                "--wait",
                "--interval",
                "10ms",
                "--output",
                "json",
            ],
        );
        out.ok();
        assert_eq!(
            out.json_stream()[1]["data"]["state"],
            "Uncommitted",
            "{out:#?}"
        );
        created_job(&out)
    };
    let job = create(&emulator);
    assert_eq!(
        emulator.requests()[0].json.as_ref().unwrap()["options"]["auto_commit"],
        "false"
    );
    let commit = run(&emulator, &["commit", &job, "--output", "table"]);
    assert_eq!(commit.ok().stdout, format!("committed import job {job}\n"));
    let done = run(
        &emulator,
        &["wait", &job, "--interval", "10ms", "--output", "json"],
    );
    assert_eq!(done.ok().json()["data"]["state"], "Completed");

    let other = create(&emulator);
    let abort = run(&emulator, &["abort", &other, "--output", "json"]);
    assert_eq!(abort.ok().json()["code"], 0);
    let table = run(&emulator, &["abort", &other, "--output", "table"]);
    assert_eq!(table.ok().stdout, format!("aborted import job {other}\n"));
    assert_eq!(emulator.job_state(&other), Some(ImportJobState::Failed));

    // Committing an aborted job is refused by the server: exit 1.
    run(&emulator, &["commit", &other]).fails(1);
    // json commit reply is the server's body.
    let third = create(&emulator);
    let commit = run(&emulator, &["commit", &third, "--output", "json"]);
    assert_eq!(commit.ok().json()["code"], 0);
}

// ---------------------------------------------------------------------------------------------
// --verbose and errors
// ---------------------------------------------------------------------------------------------

#[test]
fn verbose_prints_each_request_without_the_token() {
    let emulator = Emulator::start(EmulatorConfig::milvus().auth("root", "s3cr3t-pw")).unwrap();
    emulator.seed_job(SeedJob::new("books"));
    let out = run(
        &emulator,
        &[
            "--token",
            "root:s3cr3t-pw",
            "--verbose",
            "list",
            "--output",
            "json",
        ],
    );
    out.ok();
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{out:#?}");
    let line = lines[0];
    assert!(
        line.starts_with("POST /v2/vectordb/jobs/import/list 200 "),
        "{line}"
    );
    assert!(line.ends_with("ms"), "{line}");
    let ms: f64 = line
        .rsplit(' ')
        .next()
        .unwrap()
        .trim_end_matches("ms")
        .parse()
        .unwrap();
    assert!(ms >= 0.0);
    assert!(ms < 20_000.0, "{line}");
    assert!(!out.stderr.contains("s3cr3t"));
    out.hides(&["s3cr3t"]);

    // Token from the environment, a verbose failure: still no token anywhere.
    let uri = emulator.url();
    let out = run_env(
        &["--verbose", "progress", "999"],
        &[("MILVUS_URI", &uri), ("MILVUS_TOKEN", "root:s3cr3t-pw")],
    );
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(out
        .stderr
        .starts_with("POST /v2/vectordb/jobs/import/describe 200 "));
    assert!(!out.stderr.contains("s3cr3t") && !out.stdout.contains("s3cr3t"));
    out.hides(&["s3cr3t"]);
}

#[test]
fn wrong_token_exits_1_with_a_hint() {
    let emulator = Emulator::start(EmulatorConfig::milvus().auth("root", "right-pw")).unwrap();
    let out = run(&emulator, &["--token", "root:wrong-pw", "list"]);
    out.fails(1);
    assert!(
        out.stderr.contains("listing import jobs failed"),
        "{out:#?}"
    );
    assert!(out.stderr.contains("401"), "{out:#?}");
    assert!(
        out.stderr.contains("check --token / MILVUS_TOKEN"),
        "{out:#?}"
    );
    assert!(!out.stderr.contains("wrong-pw") && !out.stderr.contains("right-pw"));
    out.hides(&["wrong-pw", "right-pw"]);
    assert!(out.stdout.is_empty());
    // No token at all: the same.
    run(&emulator, &["list"]).fails(1);
}

#[test]
fn unknown_job_exits_1() {
    let emulator = milvus();
    for command in ["progress", "commit", "abort", "wait"] {
        let out = run(&emulator, &[command, "123456789"]);
        out.fails(1);
        assert!(out.stderr.contains("123456789"), "{out:#?}");
        assert!(out.stderr.contains("2100"), "{out:#?}");
    }
    let cloud = cloud();
    let out = run(&cloud, &["--cluster-id", CLUSTER, "progress", "job-nope"]);
    out.fails(1);
}

#[test]
fn not_a_rest_endpoint_gets_the_404_hint() {
    let emulator = milvus();
    let uri = format!("{}/not/milvus", emulator.url());
    let out = run_env(&["--uri", &uri, "list"], &[]);
    out.fails(1);
    assert!(out.stderr.contains("404"), "{out:#?}");
    assert!(
        out.stderr.contains("is --uri a Milvus 2.4+ REST endpoint?"),
        "{out:#?}"
    );
}

#[test]
fn connection_refused_exits_1() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let uri = format!("http://127.0.0.1:{port}");
    let out = run_env(&["--uri", &uri, "list"], &[]);
    out.fails(1);
    assert!(
        out.stderr.contains("listing import jobs failed"),
        "{out:#?}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let emulator = milvus();
    for args in [
        &["list", "--nope"][..],
        &["frobnicate"],
        &["create", "--collection", "c"],
        &["create", "--file", "a.parquet"],
        &[
            "create",
            "--collection",
            "c",
            "--file",
            "a",
            "--object-url",
            "s3://b/a",
        ],
        &["create", "--collection", "c", "--volume", "v"],
        &["create", "--collection", "c", "--data-path", "p"],
        &[
            "create",
            "--collection",
            "c",
            "--file",
            "a",
            "--option",
            "novalue",
        ],
        &[
            "create",
            "--collection",
            "c",
            "--object-url",
            "u",
            "--access-key",
            "k",
        ],
        &["wait", "1", "--timeout", "5 fortnights"],
        &["wait", "1", "--interval", "0s"],
        &["wait"],
        &["list", "--output", "yaml"],
        &["list", "--page-size", "ten"],
        // Rejected by the SDK before sending: half a Zilliz project target, page 0.
        &["--project-id", "p", "list"],
        &["list", "--page", "0"],
    ] {
        let out = run(&emulator, args);
        assert_eq!(out.code, 2, "{args:?}: {out:#?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: {out:#?}");
    }
    // No --uri and no MILVUS_URI.
    let out = run_env(&["list"], &[]);
    assert_eq!(out.code, 2, "{out:#?}");
    assert!(out.stderr.contains("--uri"), "{out:#?}");
    // A URI that is not a URL.
    run_env(&["--uri", "127.0.0.1:19530", "list"], &[]).exits(2);
    // Nothing reached the server.
    assert!(emulator.requests().is_empty());
}

#[test]
fn help_and_version_exit_0() {
    let out = run_env(&["--help"], &[]);
    out.ok();
    for command in ["list", "create", "progress", "wait", "commit", "abort"] {
        assert!(out.stdout.contains(command), "{out:#?}");
    }
    let out = run_env(&["--help"], &[("MILVUS_TOKEN", "hidden-token")]);
    assert!(!out.stdout.contains("hidden-token"), "{out:#?}");
    run_env(&["--version"], &[]).ok();
}

// ---------------------------------------------------------------------------------------------
// Hostile servers (issue 11): closed pipes, terminal control sequences, tiny durations,
// streaming `list --all`, the page bound
// ---------------------------------------------------------------------------------------------

type Handler = dyn Fn(&str, &Value) -> (u16, String) + Send + Sync;

/// A scripted HTTP/1.1 server on real TCP (keep-alive, `Content-Length` bodies): each
/// request's path and JSON body go to `handler`, whose `(status, body)` is the reply. It
/// serves until the test process ends.
fn scripted_server(
    handler: impl Fn(&str, &Value) -> (u16, String) + Send + Sync + 'static,
) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handler: Arc<Handler> = Arc::new(handler);
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let handler = handler.clone();
            thread::spawn(move || serve_connection(stream, &*handler));
        }
    });
    url
}

fn serve_connection(mut stream: TcpStream, handler: &Handler) {
    while let Some(request) = read_request(&mut stream) {
        let json = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let (status, reply) = handler(&request.path, &json);
        // One write: a head and a body in two would wait for a delayed ACK (Nagle).
        let whole = format!(
            "HTTP/1.1 {status} Scripted\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{reply}",
            reply.len()
        );
        if stream.write_all(whole.as_bytes()).is_err() {
            return;
        }
    }
}

/// A gate a server handler waits at until the test opens it (at most 10 s).
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn open(&self) {
        *self.0 .0.lock().unwrap() = true;
        self.0 .1.notify_all();
    }

    fn wait(&self) {
        let (lock, cvar) = &*self.0;
        let guard = lock.lock().unwrap();
        let _ = cvar
            .wait_timeout_while(guard, Duration::from_secs(10), |open| !*open)
            .unwrap();
    }
}

/// `milvus-import <args>` started (none of the variables it reads inherited), killed and
/// reaped on drop.
fn spawn(args: &[&str]) -> Running {
    bin(args).spawn()
}

fn read_all(mut from: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = from.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// The page asked for (`currentPage`, 1 when absent).
fn page_of(body: &Value) -> u64 {
    body["currentPage"].as_u64().unwrap_or(1)
}

/// A Zilliz-style list reply: `records` for page `page` of size `size`.
fn page_reply(records: Vec<Value>, page: u64, size: u64, count: u64) -> String {
    json!({"code": 0, "data": {
        "records": records, "currentPage": page, "pageSize": size, "count": count,
    }})
    .to_string()
}

fn record(id: &str) -> Value {
    json!({"jobId": id, "collectionName": "books", "state": "Completed", "progress": 100})
}

#[test]
fn list_all_prints_each_page_as_it_arrives() {
    for output in ["json", "table"] {
        let gate = Gate::default();
        let held = gate.clone();
        let url = scripted_server(move |_, body| match page_of(body) {
            1 => (
                200,
                page_reply(vec![record("job-1"), record("job-2")], 1, 2, 3),
            ),
            page => {
                // The second page waits until the test has seen the first one printed.
                held.wait();
                (200, page_reply(vec![record("job-3")], page, 2, 3))
            }
        });
        let mut child = spawn(&[
            "--uri",
            &url,
            "list",
            "--all",
            "--page-size",
            "2",
            "--output",
            output,
        ]);
        let stderr = read_all(child.child.stderr.take().unwrap());
        let (tx, lines) = mpsc::channel();
        let stdout = BufReader::new(child.child.stdout.take().unwrap());
        let reader = thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let mut seen: Vec<String> = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(8);
        while !seen.iter().any(|l| l.contains("job-2")) {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) => seen.push(line),
                Err(_) => break,
            }
        }
        let streamed =
            seen.iter().any(|l| l.contains("job-1")) && seen.iter().any(|l| l.contains("job-2"));
        gate.open();
        assert!(
            streamed,
            "{output}: the first page was not printed while the second was on its way: {seen:?}"
        );
        let status = child.wait();
        reader.join().unwrap();
        seen.extend(lines.try_iter());
        let stderr = stderr.join().unwrap();
        assert_eq!(status.code(), Some(0), "{output}: {seen:?} {stderr}");
        let stdout = seen.join("\n");
        if output == "json" {
            let records: Value = serde_json::from_str(&stdout)
                .unwrap_or_else(|e| panic!("not one JSON document ({e}): {stdout}"));
            let ids: Vec<&str> = records
                .as_array()
                .expect("one array")
                .iter()
                .map(|r| r["jobId"].as_str().unwrap())
                .collect();
            assert_eq!(ids, ["job-1", "job-2", "job-3"]);
        } else {
            assert_eq!(seen.len(), 4, "{stdout}");
            assert!(seen[0].starts_with("JOB ID") && seen[3].starts_with("job-3"));
            // The columns line up: the first page set the widths.
            let state = seen[0].find("STATE").unwrap();
            assert!(
                seen[1..]
                    .iter()
                    .all(|l| l[state..].starts_with("Completed")),
                "{stdout}"
            );
        }
    }
}

#[test]
fn list_all_ends_with_an_error_when_the_page_bound_trips() {
    // Every page is full and new: only the library's page bound (1 000 by default) ends it.
    let pages = Arc::new(AtomicUsize::new(0));
    let counted = pages.clone();
    let url = scripted_server(move |_, body| {
        counted.fetch_add(1, Ordering::SeqCst);
        let page = page_of(body);
        (
            200,
            page_reply(vec![record(&format!("job-{page}"))], page, 1, u64::MAX / 2),
        )
    });
    let out = run_env(
        &[
            "--uri",
            &url,
            "list",
            "--all",
            "--page-size",
            "1",
            "--output",
            "json",
        ],
        &[],
    );
    out.fails(1);
    assert!(
        out.stderr
            .starts_with("milvus-import: listing import jobs failed: "),
        "{}",
        out.stderr
    );
    let fetched = pages.load(Ordering::SeqCst);
    assert!((2..=1_001).contains(&fetched), "{fetched} pages fetched");
    // Exactly the bound, and the error says so.
    assert_eq!(fetched, 1000, "{fetched} pages fetched");
    assert!(
        out.stderr
            .contains("listing stopped after 1000 pages (1000 jobs)"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("\"job-1000\""));
    // What arrived was printed as it came; the array is left unclosed, so jq fails rather
    // than take part of the list for all of it.
    assert!(
        out.stdout.starts_with("[\n"),
        "{}",
        &out.stdout[..out.stdout.len().min(200)]
    );
    assert!(out.stdout.contains("\"job-1\""));
    assert!(!out.stdout.trim_end().ends_with(']'));
    assert!(serde_json::from_str::<Value>(&out.stdout).is_err());
}

/// A long Milvus list (about 1.3 MB: far more than a pipe holds).
fn big_list() -> String {
    let reason = "x".repeat(400);
    let records: Vec<Value> = (0..3000)
        .map(|i| {
            json!({"jobId": format!("{i}"), "collectionName": "books",
                        "state": "Failed", "progress": 0, "reason": reason})
        })
        .collect();
    json!({"code": 0, "data": {"records": records}}).to_string()
}

#[test]
fn a_closed_stdout_ends_quietly_with_exit_0() {
    let body = big_list();
    let url = scripted_server(move |_, _| (200, body.clone()));
    for args in [
        &["list", "--output", "table"][..],
        &["list", "--output", "json"],
        &["list", "--all", "--output", "table"],
        &["list", "--all", "--output", "json"],
    ] {
        let mut all = vec!["--uri", url.as_str()];
        all.extend_from_slice(args);
        // `milvus-import list | head -c 100`
        let mut child = spawn(&all);
        let stderr = read_all(child.child.stderr.take().unwrap());
        let mut stdout = child.child.stdout.take().unwrap();
        let mut first = [0; 100];
        stdout
            .read_exact(&mut first)
            .expect("the start of the output");
        drop(stdout);
        let status = child.wait();
        let stderr = stderr.join().unwrap();
        assert_eq!(
            status.code(),
            Some(0),
            "{args:?}: {status}; stderr: {stderr}"
        );
        assert_eq!(stderr, "", "{args:?}");
    }
}

#[test]
fn a_closed_stderr_is_no_reason_to_panic() {
    let gate = Gate::default();
    let held = gate.clone();
    let url = scripted_server(move |path, _| {
        held.wait();
        if path.ends_with("/describe") {
            (
                200,
                json!({"code": 2100, "message": "no such job"}).to_string(),
            )
        } else {
            (
                200,
                json!({"code": 0, "data": {"records": [record("1")]}}).to_string(),
            )
        }
    });
    // `--verbose` writes a line per request, and an error writes one: both to a closed stderr.
    for (args, code) in [
        (&["--verbose", "list", "--output", "json"][..], 0),
        (&["progress", "42", "--output", "json"], 1),
        (&["wait", "42", "--interval", "10ms"], 1),
    ] {
        let mut all = vec!["--uri", url.as_str()];
        all.extend_from_slice(args);
        let mut child = spawn(&all);
        drop(child.child.stderr.take());
        let stdout = read_all(child.child.stdout.take().unwrap());
        gate.open();
        let status = child.wait();
        assert_eq!(status.code(), Some(code), "{args:?}: {status}");
        let stdout = stdout.join().unwrap();
        if code == 0 {
            assert!(stdout.contains("\"jobId\""), "{args:?}: {stdout}");
        }
    }
}

/// Every character a terminal would act on, or reorder text by.
fn terminal_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect()
}

#[test]
fn server_text_cannot_drive_the_terminal() {
    let osc52 = "\u{1b}]52;c;ZXZpbA==\u{7}";
    let job = "job-\u{1b}[31mred";
    let collection = format!("books{osc52}");
    let reason = format!("disk\u{1b}[2J full\r\u{9b}1m \u{202e}txt {osc52}");
    let listed = json!({"code": 0, "data": {"records": [{
        "jobId": job, "collectionName": collection, "state": "Pend\ring",
        "progress": 10, "reason": reason,
    }]}});
    let described = json!({"code": 0, "data": {
        "jobId": job, "collectionName": collection, "state": "Failed", "progress": 0,
        "reason": reason, "totalRows": 10, "importedRows": 0,
    }});
    let (l, d) = (listed.to_string(), described.to_string());
    // serde_json writes C0 controls as \u001b escapes, but C1 and bidi controls raw.
    assert!(l.contains('\u{9b}') && l.contains('\u{202e}'));
    let url = scripted_server(move |path, _| match path.rsplit('/').next() {
        Some("list") => (200, l.clone()),
        Some("describe") => (200, d.clone()),
        // A plain-text HTTP error body, quoted in the error message.
        _ => (404, format!("no route \u{1b}]0;pwned\u{7}{osc52}\r")),
    });
    let run_at = |args: &[&str]| {
        let mut all = vec!["--uri", url.as_str()];
        all.extend_from_slice(args);
        run_env(&all, &[])
    };

    let mut shown = Vec::new();
    for args in [
        &["list", "--output", "table"][..],
        &["list", "--all", "--output", "table"],
        &["progress", job, "--output", "table"],
    ] {
        let out = run_at(args);
        out.ok();
        assert!(out.stdout.contains("]52;c;ZXZpbA=="), "{args:?}: {out:#?}");
        shown.push((format!("{args:?}"), out.stdout));
    }
    let failed = run_at(&["wait", job, "--interval", "10ms"]);
    failed.fails_after_progress(3);
    assert!(failed.stderr.contains("]52;c;ZXZpbA=="), "{failed:#?}");
    shown.push(("wait".to_string(), failed.stderr));
    let refused = run_at(&["commit", job]);
    refused.fails(1);
    assert!(refused.stderr.contains("]0;pwned"), "{refused:#?}");
    shown.push(("commit".to_string(), refused.stderr));
    for (args, text) in &shown {
        assert_eq!(
            terminal_controls(text),
            Vec::<char>::new(),
            "{args:?}: {text:?}"
        );
        // Escaped once: the library's escapes (if any) are not escaped again.
        assert!(!text.contains("\\\\"), "{args:?}: escaped twice: {text:?}");
    }

    // json: the same values as the server sent, without raw terminal controls.
    for (args, sent) in [
        (&["list", "--output", "json"][..], listed.clone()),
        (&["progress", job, "--output", "json"], described.clone()),
    ] {
        let out = run_at(args);
        assert_eq!(
            terminal_controls(out.ok().stdout.trim_end()),
            Vec::<char>::new(),
            "{out:#?}"
        );
        assert_eq!(out.json(), sent, "{args:?}");
    }
    let all = run_at(&["list", "--all", "--output", "json"]);
    assert_eq!(
        terminal_controls(all.ok().stdout.trim_end()),
        Vec::<char>::new(),
        "{all:#?}"
    );
    assert_eq!(all.json()[0]["reason"], reason.as_str());
    assert_eq!(all.json()[0]["jobId"], job);
}

#[test]
fn durations_shorter_than_a_millisecond_are_usage_errors() {
    let emulator = milvus();
    for args in [
        &["wait", "1", "--interval", "0.0000001s"][..],
        &["wait", "1", "--interval", "0.4ms"],
        &["wait", "1", "--timeout", "0.4ms"],
        &["wait", "1", "--timeout", "0.0005"],
        &[
            "create",
            "--collection",
            "c",
            "--file",
            "a",
            "--wait",
            "--interval",
            "0.0009s",
        ],
    ] {
        let out = run(&emulator, args);
        assert_eq!(out.code, 2, "{args:?}: {out:#?}");
        assert!(out.stderr.contains("at least 1ms"), "{args:?}: {out:#?}");
    }
    assert!(emulator.requests().is_empty());
    // 1 ms is accepted.
    let job = emulator.seed_job(SeedJob::new("books"));
    run(
        &emulator,
        &["wait", &job, "--interval", "1ms", "--timeout", "30s"],
    )
    .ok();
}

#[test]
fn a_client_that_cannot_be_set_up_says_failed_once() {
    let out = run_env(&["--uri", "127.0.0.1:19530", "list"], &[]);
    out.exits(2);
    assert!(
        out.stderr
            .starts_with("milvus-import: setting up the client failed: "),
        "{out:#?}"
    );
    assert_eq!(out.stderr.matches("failed").count(), 1, "{out:#?}");
}
