#![cfg(all(feature = "cli", feature = "emulator"))]
//! The `milvus-import` binary, run as a subprocess against an in-process emulator: every
//! subcommand, both output modes, progress lines, `--verbose`, and the exit codes
//! (0 ok, 1 API/HTTP/transport error, 2 usage, 3 import failed, 4 wait timed out).
//!
//! The environment variables the binary reads are removed, so a developer's `MILVUS_URI` /
//! `MILVUS_TOKEN` cannot leak in, and every run is killed after 20 s.

use std::collections::HashSet;
use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use milvus_bulk_import::emulator::{Emulator, EmulatorConfig, SeedJob, Timing};
use milvus_bulk_import::ImportJobState;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_milvus-import");
const LIST: &str = "/v2/vectordb/jobs/import/list";
const CREATE: &str = "/v2/vectordb/jobs/import/create";
const CLUSTER: &str = "in01-cli";

#[derive(Debug)]
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {self:#?}"))
    }

    /// stdout as a stream of JSON documents (`create --wait` prints two).
    fn json_stream(&self) -> Vec<Value> {
        serde_json::Deserializer::from_str(&self.stdout)
            .into_iter::<Value>()
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:#?}"))
    }

    #[track_caller]
    fn ok(&self) -> &Self {
        assert_eq!(self.code, 0, "{self:#?}");
        self
    }

    /// Asserts the exit code and that stderr is one line.
    #[track_caller]
    fn fails(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "{self:#?}");
        if code != 2 {
            assert_eq!(self.stderr.trim_end().lines().count(), 1, "{self:#?}");
            assert!(self.stderr.starts_with("milvus-import: "), "{self:#?}");
        }
        self
    }
}

/// Runs the binary with `args` (no inherited MILVUS_* / ZILLIZ_* variables), killed after 20 s.
fn run_env(args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("MILVUS_URI")
        .env_remove("MILVUS_TOKEN")
        .env_remove("ZILLIZ_CLUSTER_ID")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("the binary starts");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let err_reader = thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).map(|_| s)
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("milvus-import {args:?} did not finish within 20 s");
        }
        thread::sleep(Duration::from_millis(10));
    };
    Out {
        code: status.code().expect("exited, not killed by a signal"),
        stdout: out_reader.join().unwrap().expect("stdout"),
        stderr: err_reader.join().unwrap().expect("stderr"),
    }
}

/// Runs `milvus-import --uri <emulator> <args>`.
fn run(emulator: &Emulator, args: &[&str]) -> Out {
    let uri = emulator.url();
    let mut all = vec!["--uri", uri.as_str()];
    all.extend_from_slice(args);
    run_env(&all, &[])
}

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

impl Out {
    /// Like `fails`, but progress lines may precede the one error line.
    #[track_caller]
    fn fails_after_progress(&self, code: i32) -> &str {
        assert_eq!(self.code, code, "{self:#?}");
        let last = self.stderr.trim_end().lines().last().unwrap_or_default();
        assert!(last.starts_with("milvus-import: "), "{self:#?}");
        last
    }
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
    assert!(!out.stderr.contains("s3cr3t"));

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
    run_env(&["--uri", "127.0.0.1:19530", "list"], &[]).fails(2);
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
