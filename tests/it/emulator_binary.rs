//! The `milvus-import-emulator` binary, run as a separate process: its URL line, raw HTTP, the
//! SDK against it, its timing, both flavors' auth, clean stops on SIGINT and SIGTERM, and its
//! usage errors and exit statuses.
//!
//! Every child process is owned by a [`Proc`], which kills and reaps it on drop, so a failing
//! assertion never leaves an emulator running.

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::common::child::ChildGuard;
use crate::common::raw;

use milvus_bulk_import::{
    BulkImportApi, BulkImportRequest, Error, ImportJobState, JobRequest, ListImportJobsRequest,
};

const BIN: &str = env!("CARGO_BIN_EXE_milvus-import-emulator");
/// Longest wait for the URL line, or for a process to exit (generous: slow CI machines).
const STARTUP: Duration = Duration::from_secs(20);
/// Longest wait for an exit after a signal.
const STOP: Duration = Duration::from_secs(10);

/// A child process that is killed and reaped when dropped, with its output collected by
/// threads (so a full pipe can never block it).
struct Proc {
    child: ChildGuard,
    stdout: Option<JoinHandle<String>>,
    stderr: Option<JoinHandle<String>>,
}

impl Proc {
    /// Starts the binary with `args`; stdin closed, stdout and stderr piped.
    fn spawn(args: &[&str]) -> Proc {
        let child = ChildGuard::spawn(
            Command::new(BIN)
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        );
        Proc {
            child,
            stdout: None,
            stderr: None,
        }
        .collect_stderr()
    }

    fn collect_stderr(mut self) -> Self {
        let stderr: ChildStderr = self.child.stderr.take().expect("stderr piped");
        self.stderr = Some(thread::spawn(move || read_all(stderr)));
        self
    }

    /// Reads the first line of stdout, waiting at most [`STARTUP`]; a thread keeps draining
    /// the rest (so the process never writes into a closed pipe), for [`Proc::take_stdout`].
    fn first_line(&mut self) -> Result<String, String> {
        let stdout: ChildStdout = self.child.stdout.take().expect("stdout piped");
        let (tx, rx) = mpsc::channel();
        self.stdout = Some(thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = tx.send(reader.read_line(&mut line).map(|_| line));
            read_all(reader)
        }));
        match rx.recv_timeout(STARTUP) {
            Ok(Ok(line)) if !line.is_empty() => Ok(line),
            Ok(Ok(_)) => Err("stdout closed".into()),
            Ok(Err(e)) => Err(format!("read error: {e}")),
            Err(e) => Err(format!("nothing within {STARTUP:?}: {e}")),
        }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// Waits up to `limit` for the process to exit on its own; kills it and panics otherwise.
    fn wait_exit(&mut self, limit: Duration, what: &str) -> ExitStatus {
        self.child.wait(limit).unwrap_or_else(|| {
            panic!(
                "{what}: still running after {limit:?}; stderr: {}",
                self.take_stderr()
            )
        })
    }

    /// Everything the process wrote on stderr (call once it has exited, or been killed).
    fn take_stderr(&mut self) -> String {
        self.stderr
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default()
    }

    /// Everything the process wrote on stdout after what was already read.
    fn take_stdout(&mut self) -> String {
        self.stdout
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default()
    }

    /// Sends a signal with `kill(1)`.
    #[cfg(unix)]
    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.pid()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} {}: {status}", self.pid());
    }
}

fn read_all(mut from: impl Read) -> String {
    let mut bytes = Vec::new();
    let _ = from.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A running emulator process and the URL it printed.
struct Running {
    proc: Proc,
    url: String,
    addr: SocketAddr,
}

impl Running {
    /// Starts the emulator and reads the first line of its stdout (within [`STARTUP`]).
    fn start(args: &[&str]) -> Running {
        let mut proc = Proc::spawn(args);
        let line = match proc.first_line() {
            Ok(line) => line,
            Err(why) => {
                proc.child.kill();
                panic!(
                    "{args:?}: no URL line on stdout ({why}); stderr: {}",
                    proc.take_stderr()
                );
            }
        };
        assert!(line.ends_with('\n'), "URL line not terminated: {line:?}");
        let url = line.trim_end().to_string();
        let addr: SocketAddr = url
            .strip_prefix("http://")
            .and_then(|rest| rest.parse().ok())
            .unwrap_or_else(|| panic!("first line is not http://HOST:PORT: {url:?}"));
        assert!(addr.ip().is_loopback() && addr.port() != 0, "{url}");
        Running { proc, url, addr }
    }

    fn api(&self, key: &str) -> BulkImportApi {
        BulkImportApi::new(&self.url, key).expect("client")
    }

    /// Sends SIG`signal`, then checks for exit status 0 within [`STOP`] and nothing more on
    /// stdout; returns everything it wrote on stderr.
    #[cfg(unix)]
    fn stop_with(mut self, signal: &str) -> String {
        self.proc.signal(signal);
        let status = self.proc.wait_exit(STOP, &format!("after SIG{signal}"));
        let stderr = self.proc.take_stderr();
        assert_eq!(
            status.code(),
            Some(0),
            "SIG{signal}: {status}; stderr: {stderr}"
        );
        assert_eq!(
            self.proc.take_stdout(),
            "",
            "nothing on stdout after the URL"
        );
        stderr
    }
}

/// Runs the binary to completion (within [`STARTUP`]): status, stdout, stderr.
fn run(args: &[&str]) -> (ExitStatus, String, String) {
    let mut proc = Proc::spawn(args);
    let stdout = proc.child.stdout.take().expect("stdout piped");
    proc.stdout = Some(thread::spawn(move || read_all(stdout)));
    let status = proc.wait_exit(STARTUP, &format!("{args:?}"));
    (status, proc.take_stdout(), proc.take_stderr())
}

/// Polls `job` until it is terminal (at most `polls` describes).
fn poll_to_end(api: &BulkImportApi, job: &JobRequest, polls: usize) -> ImportJobState {
    for _ in 0..polls {
        let state = api
            .get_import_progress(job)
            .expect("describe")
            .into_data()
            .state;
        if state.is_terminal() {
            return state;
        }
    }
    panic!("job {} not terminal after {polls} polls", job.job_id());
}

#[test]
fn raw_http_like_curl() {
    let emulator = Running::start(&["--per-poll"]);
    let mut stream = raw::connect(emulator.addr);

    // What `curl -s -X POST $URL/v2/vectordb/jobs/import/create -d '{...}'` sends.
    let body = r#"{"collectionName":"c","files":[["1.parquet"]]}"#;
    let request = format!(
        "POST /v2/vectordb/jobs/import/create HTTP/1.1\r\nHost: {}\r\nUser-Agent: curl/8.5.0\r\n\
         Accept: */*\r\nContent-Length: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         \r\n{body}",
        emulator.addr,
        body.len()
    );
    let reply = raw::exchange_on(&mut stream, &request);
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{reply:?}"
    );
    // Exactly `{"code":0,"data":{"jobId":"<digits>"}}`.
    let job_id = reply
        .body
        .strip_prefix(r#"{"code":0,"data":{"jobId":""#)
        .and_then(|rest| rest.strip_suffix(r#""}}"#))
        .unwrap_or_else(|| panic!("unexpected body {:?}", reply.body));
    assert!(
        !job_id.is_empty() && job_id.bytes().all(|b| b.is_ascii_digit()),
        "{job_id}"
    );

    // The same (keep-alive) connection: an unknown path is a plain-text 404.
    let reply = raw::exchange_on(
        &mut stream,
        format!(
            "GET /no/such/path HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            emulator.addr
        ),
    );
    assert_eq!(reply.status, 404, "{reply:?}");
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/plain")),
        "{reply:?}"
    );
    assert_eq!(reply.body, "404 page not found");
}

#[test]
fn sdk_per_poll_create_describe_list() {
    let emulator = Running::start(&["--per-poll"]);
    let api = emulator.api("");
    let created = api
        .bulk_import(&BulkImportRequest::new("books").files([["1.parquet"], ["2.parquet"]]))
        .expect("create");
    let job_id = created.data().job_id.clone();
    let job = JobRequest::new(&job_id);

    let first = api.get_import_progress(&job).expect("describe").into_data();
    assert_eq!(first.state, ImportJobState::Pending);
    assert_eq!(poll_to_end(&api, &job, 10), ImportJobState::Completed);
    let done = api.get_import_progress(&job).expect("describe").into_data();
    assert_eq!(done.progress, Some(100));
    assert_eq!(done.imported_rows, Some(2000));
    assert_eq!(done.details.len(), 2);

    let list = api
        .list_import_jobs(&ListImportJobsRequest::new())
        .expect("list")
        .into_data();
    let record = list
        .records
        .iter()
        .find(|r| r.job_id == job_id)
        .unwrap_or_else(|| panic!("{job_id} not listed: {list:?}"));
    assert_eq!(record.collection_name, "books");
    assert_eq!(record.state, ImportJobState::Completed);

    // The failure marker works end to end.
    let failing = api
        .bulk_import(&BulkImportRequest::new("books").files([["fail/3.parquet"]]))
        .expect("create");
    let failing = JobRequest::new(&failing.data().job_id);
    assert_eq!(poll_to_end(&api, &failing, 10), ImportJobState::Failed);
}

#[test]
fn default_timing_completes_about_two_seconds_after_creation() {
    let emulator = Running::start(&[]);
    let api = emulator.api("");
    let before = Instant::now();
    let created = api
        .bulk_import(&BulkImportRequest::new("c").files([["1.parquet"]]))
        .expect("create");
    let job = JobRequest::new(&created.data().job_id);

    let first = api.get_import_progress(&job).expect("describe").into_data();
    assert_ne!(
        first.state,
        ImportJobState::Completed,
        "completed on the first poll, {:?} after creation",
        before.elapsed()
    );
    let mut completed_after = None;
    while before.elapsed() < Duration::from_secs(10) {
        thread::sleep(Duration::from_millis(100));
        let progress = api.get_import_progress(&job).expect("describe").into_data();
        assert_ne!(progress.state, ImportJobState::Failed, "{progress:?}");
        if progress.state == ImportJobState::Completed {
            assert_eq!(progress.progress, Some(100));
            completed_after = Some(before.elapsed());
            break;
        }
    }
    let completed_after = completed_after.expect("Completed within 10 s");
    // The server's clock starts after `before`, so it cannot end sooner than 2 s after it.
    assert!(
        completed_after >= Duration::from_millis(1900),
        "completed only {completed_after:?} after creation"
    );
    // Polled ~2.5 s after creation (or later), it is Completed.
    let wait = Duration::from_millis(2500).saturating_sub(before.elapsed());
    thread::sleep(wait);
    let later = api.get_import_progress(&job).expect("describe").into_data();
    assert_eq!(later.state, ImportJobState::Completed);
}

#[test]
fn complete_after_flag_sets_the_clock() {
    let emulator = Running::start(&["--complete-after", "300ms"]);
    let api = emulator.api("");
    let before = Instant::now();
    let created = api
        .bulk_import(&BulkImportRequest::new("c").files([["1.parquet"]]))
        .expect("create");
    let job = JobRequest::new(&created.data().job_id);
    loop {
        let state = api
            .get_import_progress(&job)
            .expect("describe")
            .into_data()
            .state;
        if state == ImportJobState::Completed {
            break;
        }
        assert!(before.elapsed() < Duration::from_secs(10), "still {state}");
        thread::sleep(Duration::from_millis(50));
    }
    assert!(before.elapsed() >= Duration::from_millis(280));
}

#[test]
fn cloud_flavor_with_api_key_and_cluster_id() {
    let key = "sk-emulator-test-key";
    let cluster = "in01-0123456789abcdef";
    let emulator = Running::start(&[
        "--flavor",
        "cloud",
        "--api-key",
        key,
        "--cluster-id",
        cluster,
        "--per-poll",
    ]);
    let request = BulkImportRequest::new("books")
        .cluster_id(cluster)
        .object_urls([["s3://bucket/1.parquet"]]);

    let err = emulator
        .api("wrong-key")
        .bulk_import(&request)
        .expect_err("a wrong key is refused");
    assert!(
        matches!(err, Error::Api { code: 21119, .. }),
        "expected API error 21119, got {err:?}"
    );

    let api = emulator.api(key);
    let created = api
        .bulk_import(&request)
        .expect("create with the right key");
    let job_id = created.data().job_id.clone();
    assert!(job_id.starts_with("job-"), "{job_id}");
    let job = JobRequest::new(&job_id).cluster_id(cluster);
    assert_eq!(poll_to_end(&api, &job, 10), ImportJobState::Completed);

    let list = api
        .list_import_jobs(&ListImportJobsRequest::new().cluster_id(cluster))
        .expect("list")
        .into_data();
    assert_eq!(list.count, Some(1));
    assert_eq!(list.records[0].job_id, job_id);

    let other = api
        .bulk_import(
            &BulkImportRequest::new("books")
                .cluster_id("in01-someone-else")
                .object_urls([["s3://bucket/1.parquet"]]),
        )
        .expect_err("another cluster is refused");
    assert_eq!(other.api_code(), Some(96018), "{other:?}");

    #[cfg(unix)]
    {
        let stderr = emulator.stop_with("INT");
        assert!(stderr.contains("Zilliz Cloud"), "{stderr}");
        assert!(stderr.contains("auth: on"), "{stderr}");
        assert!(!stderr.contains(key), "the API key leaked: {stderr}");
    }
}

#[test]
fn milvus_auth_requires_user_and_password() {
    let emulator = Running::start(&["--auth", "root:Milvus", "--per-poll"]);
    let request = BulkImportRequest::new("c").files([["1.parquet"]]);

    let err = emulator
        .api("")
        .bulk_import(&request)
        .expect_err("no key is refused");
    assert_eq!(err.status(), Some(401), "{err:?}");
    assert_eq!(err.api_code(), Some(1800), "{err:?}");

    let err = emulator
        .api("root:wrong")
        .bulk_import(&request)
        .expect_err("a wrong password is refused");
    assert_eq!(err.api_code(), Some(1800), "{err:?}");

    let created = emulator
        .api("root:Milvus")
        .bulk_import(&request)
        .expect("the right password");
    assert!(!created.data().job_id.is_empty());

    #[cfg(unix)]
    {
        let stderr = emulator.stop_with("INT");
        assert!(stderr.contains("auth: on"), "{stderr}");
        assert!(stderr.contains("root"), "{stderr}");
        assert!(!stderr.contains(":Milvus"), "the password leaked: {stderr}");
    }
}

#[test]
fn milvus_databases_flag() {
    let emulator = Running::start(&["--database", "db1", "--per-poll"]);
    let api = emulator.api("");
    api.bulk_import(
        &BulkImportRequest::new("c")
            .db_name("db1")
            .files([["1.parquet"]]),
    )
    .expect("db1 exists");
    let err = api
        .bulk_import(
            &BulkImportRequest::new("c")
                .db_name("db2")
                .files([["1.parquet"]]),
        )
        .expect_err("db2 does not");
    assert_eq!(err.api_code(), Some(800), "{err:?}");
}

#[cfg(unix)]
#[test]
fn sigint_stops_cleanly_and_closes_the_port() {
    let emulator = Running::start(&[]);
    let addr = emulator.addr;
    // An open keep-alive connection must not hold the stop up.
    let idle = TcpStream::connect(addr).expect("connect");
    let started = Instant::now();
    let stderr = emulator.stop_with("INT");
    assert!(started.elapsed() < STOP);
    assert!(stderr.contains("Ctrl-C to stop"), "{stderr}");
    assert!(stderr.trim_end().ends_with("stopped"), "{stderr}");
    drop(idle);
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err(),
        "{addr} still accepts connections after the stop"
    );
}

#[cfg(unix)]
#[test]
fn sigterm_stops_cleanly() {
    let emulator = Running::start(&["--per-poll"]);
    let addr = emulator.addr;
    let stderr = emulator.stop_with("TERM");
    assert!(stderr.contains("stopped"), "{stderr}");
    assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err());
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    for (args, mention) in [
        (&["--flavor", "nope"][..], "nope"),
        (&["--bogus"], "--bogus"),
        (&["--auth", "x:y", "--flavor", "cloud"], "--auth"),
        (&["--auth", "x:hunter2", "--flavor", "cloud"], "--auth"),
        (&["--api-key", "hunter2"], "--api-key"),
        (&["--addr"], "--addr"),
        (&["--addr", "not-an-address"], "--addr"),
        (&["--complete-after", "soon"], "--complete-after"),
        (&["--per-poll", "--complete-after", "1s"], "--per-poll"),
        (&["--rows-per-file", "many"], "--rows-per-file"),
    ] {
        let (status, stdout, stderr) = run(args);
        assert_eq!(
            status.code(),
            Some(2),
            "{args:?}: {status}; stderr: {stderr}"
        );
        assert_eq!(stdout, "", "{args:?}: nothing on stdout");
        let line = stderr.strip_suffix('\n').unwrap_or(&stderr);
        assert!(
            !line.is_empty() && !line.contains('\n'),
            "{args:?}: not one line: {stderr:?}"
        );
        assert!(line.contains(mention), "{args:?}: {line}");
        assert!(line.contains("--help"), "{args:?}: no hint: {line}");
        assert!(
            !line.contains("hunter2"),
            "{args:?}: a secret leaked: {line}"
        );
    }
}

#[test]
fn usage_errors_never_echo_a_secret_value() {
    // A key or password that starts with "--" looks like the next flag: the message says how
    // to pass it, without showing it.
    for (args, flag) in [
        (
            &["--flavor", "cloud", "--api-key", "--hunter2-key"][..],
            "--api-key",
        ),
        (
            &["--api-key", "--hunter2-key", "--flavor", "cloud"],
            "--api-key",
        ),
        (&["--auth", "--root:hunter2"], "--auth"),
    ] {
        let (status, stdout, stderr) = run(args);
        assert_eq!(status.code(), Some(2), "{args:?}: {status}; {stderr}");
        assert_eq!(stdout, "");
        let line = stderr.trim_end();
        assert!(!line.contains('\n'), "{args:?}: {stderr:?}");
        assert!(
            line.contains(flag) && line.contains("--help"),
            "{args:?}: {line}"
        );
        assert!(
            !line.contains("hunter2"),
            "{args:?}: a secret leaked: {line}"
        );
    }
    // A non-UTF-8 `--api-key=…`: the flag is named, the value is not shown.
    #[cfg(unix)]
    {
        use std::ffi::OsString;
        use std::os::unix::ffi::OsStringExt;
        let mut arg = b"--api-key=hunter2-".to_vec();
        arg.push(0xff);
        let out = Command::new(BIN)
            .arg("--flavor")
            .arg("cloud")
            .arg(OsString::from_vec(arg))
            .stdin(Stdio::null())
            .output()
            .expect("run the emulator");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("--api-key"), "{stderr}");
        assert!(!stderr.contains("hunter2"), "a secret leaked: {stderr}");
    }
}

#[test]
fn help_and_version_exit_0() {
    for flag in ["--help", "-h"] {
        let (status, stdout, stderr) = run(&[flag]);
        assert_eq!(status.code(), Some(0), "{flag}: {status}; {stderr}");
        assert!(stdout.contains("Usage: milvus-import-emulator"), "{stdout}");
        for option in [
            "--addr",
            "--flavor",
            "--auth",
            "--api-key",
            "--complete-after",
            "--per-poll",
        ] {
            assert!(
                stdout.contains(option),
                "{flag}: {option} missing:\n{stdout}"
            );
        }
        assert_eq!(stderr, "");
    }
    for flag in ["--version", "-V"] {
        let (status, stdout, _) = run(&[flag]);
        assert_eq!(status.code(), Some(0));
        assert_eq!(
            stdout,
            format!("milvus-import-emulator {}\n", env!("CARGO_PKG_VERSION"))
        );
    }
}

#[test]
fn address_in_use_exits_1() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().unwrap().to_string();
    let (status, stdout, stderr) = run(&["--addr", &addr]);
    assert_eq!(status.code(), Some(1), "{status}; stderr: {stderr}");
    assert_eq!(stdout, "");
    let line = stderr.trim_end();
    assert!(!line.contains('\n') && line.contains(&addr), "{stderr:?}");
}

#[test]
fn fixed_address_is_the_printed_url() {
    // Find a free port, release it, and ask for it (a tiny race with other processes; retry).
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let addr = format!("127.0.0.1:{port}");
        let mut proc = Proc::spawn(&["--addr", &addr, "--per-poll"]);
        if let Ok(line) = proc.first_line() {
            assert_eq!(line, format!("http://{addr}\n"));
            return;
        }
        // Taken meanwhile: the process must have exited 1.
        let status = proc.wait_exit(STARTUP, "bind failure");
        assert_eq!(status.code(), Some(1), "stderr: {}", proc.take_stderr());
    }
    panic!("no free port in 5 tries");
}

#[test]
fn wildcard_address_prints_a_loopback_url() {
    // `Running::start` checks that the URL names a loopback address and a port.
    let emulator = Running::start(&["--addr", "0.0.0.0:0"]);
    assert!(
        emulator.url.starts_with("http://127.0.0.1:"),
        "{}",
        emulator.url
    );
    // The library's `Emulator::url` is where that comes from.
    let library = milvus_bulk_import::emulator::EmulatorConfig::milvus()
        .addr("0.0.0.0:0".parse().unwrap())
        .start()
        .expect("start");
    let url = library.url();
    assert_eq!(url, format!("http://127.0.0.1:{}", library.addr().port()));
    BulkImportApi::new(&url, "")
        .expect("client")
        .list_import_jobs(&ListImportJobsRequest::new())
        .expect("reachable at its URL");
}
