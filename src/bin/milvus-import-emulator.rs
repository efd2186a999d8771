//! `milvus-import-emulator`: the crate's [emulator] of the Milvus / Zilliz Cloud import-jobs
//! REST service, as a command (feature `emulator`).
//!
//! It serves `create`, `describe`, `list`, `commit` and `abort` under
//! `/v2/vectordb/jobs/import/` (on 127.0.0.1 unless `--addr` says otherwise) until it gets
//! SIGINT (Ctrl-C) or SIGTERM, so any HTTP client — pymilvus's `bulk_import`, curl, this
//! crate — can be tested against it with no server, no credentials and no network.
//!
//! The **first line of stdout is the base URL** (`http://127.0.0.1:PORT`), written and flushed
//! as soon as the port is open, so scripts can start it on a free port and read where it is. A
//! short description (flavor, auth on or off, timing) goes to stderr; passwords and API keys
//! are never printed.
//!
//! # Example session
//!
//! Start it (`cargo run --features emulator --bin milvus-import-emulator`, or the installed
//! `milvus-import-emulator`):
//!
//! ```text
//! $ milvus-import-emulator
//! http://127.0.0.1:40011
//! milvus-import-emulator 0.1.0: emulating the open-source Milvus import-jobs API at http://127.0.0.1:40011
//!   auth: off (any credentials accepted)
//!   timing: a job ends about 2s after it is created
//!   failures: jobs with a source path containing "fail" end Failed
//!   databases: default
//! Ctrl-C to stop
//! ```
//!
//! In another terminal:
//!
//! ```text
//! $ URL=http://127.0.0.1:40011
//! $ curl -s -X POST $URL/v2/vectordb/jobs/import/create -d '{"collectionName":"c","files":[["1.parquet"]]}'
//! {"code":0,"data":{"jobId":"453240863839750922"}}
//! $ curl -s -X POST $URL/v2/vectordb/jobs/import/describe -d '{"jobId":"453240863839750922"}'
//! {"code":0,"data":{"collectionName":"c",…,"progress":25,"state":"Importing","totalRows":1000}}
//! $ sleep 2; curl -s -X POST $URL/v2/vectordb/jobs/import/list -d '{}'
//! {"code":0,"data":{"records":[{"collectionName":"c","jobId":"453240863839750922","progress":100,"state":"Completed"}]}}
//! ```
//!
//! Ctrl-C in the first terminal prints `milvus-import-emulator: stopped` and exits 0.
//!
//! In a script, start it in the background and read the URL from its stdout:
//!
//! ```sh
//! milvus-import-emulator --per-poll > emulator.url &
//! until [ -s emulator.url ]; do sleep 0.1; done
//! URL=$(head -n1 emulator.url)
//! # ... run the code under test against $URL ...
//! kill -INT %1; wait
//! ```
//!
//! A Zilliz Cloud emulator that wants an API key and one cluster id, on a fixed port:
//!
//! ```text
//! $ milvus-import-emulator --flavor cloud --api-key test-key --cluster-id in01-test --addr 127.0.0.1:8080
//! ```
//!
//! # Options
//!
//! | flag | default | meaning |
//! |---|---|---|
//! | `--addr HOST:PORT` | `127.0.0.1:0` | where to listen (port 0: a free port) |
//! | `--flavor milvus\|cloud` | `milvus` | open-source Milvus or Zilliz Cloud |
//! | `--auth USER:PASSWORD` | none | Milvus: require `Authorization: Bearer USER:PASSWORD` (else HTTP 401, code 1800) |
//! | `--api-key KEY` | none | Zilliz Cloud: require `Authorization: Bearer KEY` (else code 21119) |
//! | `--complete-after DURATION` | `2s` | a job ends this long after it is created (`500ms`, `1.5s`, `1m`, `1h`, `3` = 3 s) |
//! | `--per-poll` | | instead: each `describe` of a job moves it one step |
//! | `--fail-marker TEXT` | `fail` | a job with a source path containing TEXT ends `Failed` (`""`: never) |
//! | `--cluster-id ID` | any | Zilliz Cloud: accept only this cluster id (else code 96018) |
//! | `--database NAME` | `default` | Milvus: another database besides `default` (repeatable) |
//! | `--rows-per-file N` | `1000` | rows each source file (group) holds |
//!
//! Exit status: 0 after a clean stop (or `--help`, `--version`), 1 when the address cannot be
//! bound, 2 for a usage error.
//!
//! [emulator]: milvus_bulk_import::emulator

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::ffi::OsString;
use std::fmt;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use milvus_bulk_import::emulator::{Emulator, EmulatorConfig, Flavor, Timing};

/// The command's name, in messages.
const NAME: &str = "milvus-import-emulator";

/// How long a job takes by default under real-time timing.
const DEFAULT_COMPLETE_AFTER: Duration = Duration::from_secs(2);

/// The `--help` text.
const USAGE: &str = "\
milvus-import-emulator: a local emulator of the Milvus / Zilliz Cloud bulk-import REST API

Usage: milvus-import-emulator [OPTIONS]

Serves create, describe, list, commit and abort under /v2/vectordb/jobs/import/ until
Ctrl-C (SIGINT) or SIGTERM. The first line of stdout is the base URL (http://127.0.0.1:PORT).

Options:
      --addr HOST:PORT           Where to listen [default: 127.0.0.1:0, a free port]
      --flavor milvus|cloud      Behave like open-source Milvus or Zilliz Cloud [default: milvus]
      --auth USER:PASSWORD       Milvus: require 'Authorization: Bearer USER:PASSWORD'
      --api-key KEY              Zilliz Cloud: require 'Authorization: Bearer KEY'
      --complete-after DURATION  A job ends this long after it is created: 500ms, 1.5s, 1m,
                                 or a number of seconds [default: 2s]
      --per-poll                 Instead, each describe of a job moves it one step
      --fail-marker TEXT         Jobs with a source path containing TEXT end Failed
                                 [default: fail; \"\" turns failures off]
      --cluster-id ID            Zilliz Cloud: accept only this cluster id [default: any]
      --database NAME            Milvus: a database besides 'default' (repeatable)
      --rows-per-file N          Rows each source file (group) holds [default: 1000]
  -h, --help                     Print this help
  -V, --version                  Print the version

Example (a shell script):
  milvus-import-emulator > emulator.url &
  until [ -s emulator.url ]; do sleep 0.1; done; URL=$(head -n1 emulator.url)
  curl -s -X POST $URL/v2/vectordb/jobs/import/create \\
       -d '{\"collectionName\":\"c\",\"files\":[[\"1.parquet\"]]}'
  kill -INT %1

Exit status: 0 after a clean stop, 1 if the address cannot be bound, 2 for a usage error.
";

/// The flags whose values are secrets: no message ever shows their values.
const SECRET_FLAGS: [&str; 2] = ["--auth", "--api-key"];

/// A command-line mistake: reported on one line, exit status 2.
#[derive(Debug, PartialEq, Eq)]
struct UsageError(String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Builds a [`UsageError`] from `format!` arguments.
macro_rules! usage {
    ($($arg:tt)*) => { UsageError(format!($($arg)*)) };
}

/// What the command line asks for.
#[derive(Debug)]
enum Command {
    Help,
    Version,
    Serve(Box<Settings>),
}

/// Every setting of a run, checked.
#[derive(Clone, PartialEq)]
struct Settings {
    addr: SocketAddr,
    flavor: Flavor,
    /// Milvus `(user, password)`.
    auth: Option<(String, String)>,
    /// Zilliz Cloud API key.
    api_key: Option<String>,
    timing: Timing,
    fail_marker: String,
    cluster_id: Option<String>,
    databases: Vec<String>,
    rows_per_file: Option<u64>,
}

impl fmt::Debug for Settings {
    /// Like a derived `Debug`, with the password and the API key left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("addr", &self.addr)
            .field("flavor", &self.flavor)
            .field("auth_user", &self.auth.as_ref().map(|(user, _)| user))
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("timing", &self.timing)
            .field("fail_marker", &self.fail_marker)
            .field("cluster_id", &self.cluster_id)
            .field("databases", &self.databases)
            .field("rows_per_file", &self.rows_per_file)
            .finish()
    }
}

impl Settings {
    /// The emulator configuration these settings describe.
    fn config(&self) -> EmulatorConfig {
        let mut config = match self.flavor {
            Flavor::Milvus => EmulatorConfig::milvus(),
            Flavor::Cloud => EmulatorConfig::cloud(),
        }
        .addr(self.addr)
        // Nobody can read the recorded requests of a standalone emulator: keep none.
        .record_limit(0)
        .timing(self.timing)
        .fail_marker(self.fail_marker.clone());
        if let Some((user, password)) = &self.auth {
            config = config.auth(user.clone(), password.clone());
        }
        if let Some(key) = &self.api_key {
            config = config.api_key(key.clone());
        }
        if let Some(cluster_id) = &self.cluster_id {
            config = config.cluster_id(cluster_id.clone());
        }
        for database in &self.databases {
            config = config.database(database.clone());
        }
        if let Some(rows) = self.rows_per_file {
            config = config.rows_per_file(rows);
        }
        config
    }

    /// The lines printed on stderr once serving: no password, no key.
    fn describe(&self, url: &str) -> String {
        let flavor = match self.flavor {
            Flavor::Milvus => "open-source Milvus",
            Flavor::Cloud => "Zilliz Cloud",
        };
        let auth = match (&self.auth, &self.api_key) {
            (Some((user, _)), _) => {
                format!("on (requires 'Authorization: Bearer {user}:<password>')")
            }
            (None, Some(_)) => "on (requires 'Authorization: Bearer <api key>')".to_string(),
            (None, None) => "off (any credentials accepted)".to_string(),
        };
        let timing = match self.timing {
            Timing::PerPoll => "each describe of a job moves it one step".to_string(),
            Timing::RealTime(total) => format!("a job ends about {total:?} after it is created"),
            Timing::Manual => "jobs never move".to_string(),
        };
        let failures = if self.fail_marker.is_empty() {
            "off".to_string()
        } else {
            format!(
                "jobs with a source path containing {:?} end Failed",
                self.fail_marker
            )
        };
        let target = match self.flavor {
            Flavor::Milvus => {
                let mut databases = vec!["default"];
                databases.extend(self.databases.iter().map(String::as_str));
                format!("databases: {}", databases.join(", "))
            }
            Flavor::Cloud => {
                let cluster = self.cluster_id.as_deref().unwrap_or("any");
                format!("cluster id: {cluster}")
            }
        };
        [
            format!(
                "{NAME} {}: emulating the {flavor} import-jobs API at {url}",
                env!("CARGO_PKG_VERSION")
            ),
            format!("  auth: {auth}"),
            format!("  timing: {timing}"),
            format!("  failures: {failures}"),
            format!("  {target}"),
            "Ctrl-C to stop".to_string(),
        ]
        .join("\n")
    }
}

/// Parses the arguments after the program name.
fn parse_args<I>(args: I) -> Result<Command, UsageError>
where
    I: IntoIterator<Item = OsString>,
{
    let mut args = args.into_iter();
    let mut addr: Option<SocketAddr> = None;
    let mut flavor: Option<Flavor> = None;
    let mut auth: Option<(String, String)> = None;
    let mut api_key: Option<String> = None;
    let mut complete_after: Option<Duration> = None;
    let mut per_poll = false;
    let mut fail_marker: Option<String> = None;
    let mut cluster_id: Option<String> = None;
    let mut databases: Vec<String> = Vec::new();
    let mut rows_per_file: Option<u64> = None;

    while let Some(arg) = args.next() {
        let arg = arg.into_string().map_err(|arg| {
            // `--flag=value`: name the flag only (the value may be a secret).
            let arg = arg.to_string_lossy();
            match arg.split_once('=') {
                Some((flag, _)) if flag.starts_with("--") => {
                    usage!("the value of {flag} is not valid UTF-8")
                }
                _ => usage!("argument {arg:?} is not valid UTF-8"),
            }
        })?;
        // `--flag=value` as well as `--flag value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_string(), Some(value)),
            _ => (arg.clone(), None),
        };
        let takes_value = matches!(
            flag.as_str(),
            "--addr"
                | "--flavor"
                | "--auth"
                | "--api-key"
                | "--complete-after"
                | "--fail-marker"
                | "--cluster-id"
                | "--database"
                | "--rows-per-file"
        );
        let value = if takes_value {
            Some(match inline {
                Some(value) => value.to_string(),
                None => match args.next() {
                    None => return Err(usage!("{flag} needs a value")),
                    Some(value) => {
                        let value = value
                            .into_string()
                            .map_err(|_| usage!("the value of {flag} is not valid UTF-8"))?;
                        if value.starts_with("--") && value.len() > 2 {
                            return Err(if SECRET_FLAGS.contains(&flag.as_str()) {
                                // Never echo what may be a password or a key.
                                usage!(
                                    "{flag} needs a value (write {flag}=VALUE if it starts \
                                     with --)"
                                )
                            } else {
                                usage!("{flag} needs a value (write {flag}={value} if that is it)")
                            });
                        }
                        value
                    }
                },
            })
        } else {
            if inline.is_some() {
                return Err(usage!("{flag} takes no value"));
            }
            None
        };
        let value = value.unwrap_or_default();
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--addr" => {
                once(&flag, addr.is_some())?;
                addr = Some(parse_addr(&value)?);
            }
            "--flavor" => {
                once(&flag, flavor.is_some())?;
                flavor = Some(match value.to_ascii_lowercase().as_str() {
                    "milvus" => Flavor::Milvus,
                    "cloud" => Flavor::Cloud,
                    _ => return Err(usage!("--flavor must be milvus or cloud, not {value:?}")),
                });
            }
            "--auth" => {
                once(&flag, auth.is_some())?;
                // Never echo the value: it holds a password.
                let (user, password) =
                    value
                        .split_once(':')
                        .filter(|(user, _)| !user.is_empty())
                        .ok_or_else(|| usage!("--auth needs USER:PASSWORD (e.g. root:Milvus)"))?;
                auth = Some((user.to_string(), password.to_string()));
            }
            "--api-key" => {
                once(&flag, api_key.is_some())?;
                if value.is_empty() {
                    return Err(usage!("--api-key needs a non-empty KEY"));
                }
                api_key = Some(value);
            }
            "--complete-after" => {
                once(&flag, complete_after.is_some())?;
                complete_after = Some(parse_duration(&value).ok_or_else(|| {
                    usage!(
                        "--complete-after needs a duration like 2s, 500ms, 1.5s, 1m or 3, \
                         not {value:?}"
                    )
                })?);
            }
            "--per-poll" => {
                once(&flag, per_poll)?;
                per_poll = true;
            }
            "--fail-marker" => {
                once(&flag, fail_marker.is_some())?;
                fail_marker = Some(value);
            }
            "--cluster-id" => {
                once(&flag, cluster_id.is_some())?;
                if value.is_empty() {
                    return Err(usage!("--cluster-id needs a non-empty ID"));
                }
                cluster_id = Some(value);
            }
            "--database" => {
                if value.is_empty() {
                    return Err(usage!("--database needs a non-empty NAME"));
                }
                if value != "default" && !databases.contains(&value) {
                    databases.push(value);
                }
            }
            "--rows-per-file" => {
                once(&flag, rows_per_file.is_some())?;
                rows_per_file = Some(value.parse().map_err(|_| {
                    usage!("--rows-per-file needs a whole number of rows, not {value:?}")
                })?);
            }
            _ if flag.starts_with('-') && flag.len() > 1 => {
                return Err(usage!("unknown flag {flag}"))
            }
            _ => {
                return Err(usage!(
                    "unexpected argument {arg:?} (this command takes only flags)"
                ))
            }
        }
    }

    let flavor = flavor.unwrap_or(Flavor::Milvus);
    match flavor {
        Flavor::Milvus => {
            if api_key.is_some() {
                return Err(usage!(
                    "--api-key is for --flavor cloud; Milvus takes --auth USER:PASSWORD"
                ));
            }
            if cluster_id.is_some() {
                return Err(usage!("--cluster-id is for --flavor cloud"));
            }
        }
        Flavor::Cloud => {
            if auth.is_some() {
                return Err(usage!(
                    "--auth is for --flavor milvus; Zilliz Cloud takes --api-key KEY"
                ));
            }
            if !databases.is_empty() {
                return Err(usage!("--database is for --flavor milvus"));
            }
        }
    }
    let timing = match (per_poll, complete_after) {
        (true, Some(_)) => {
            return Err(usage!(
                "--per-poll and --complete-after cannot be used together"
            ))
        }
        (true, None) => Timing::PerPoll,
        (false, after) => Timing::RealTime(after.unwrap_or(DEFAULT_COMPLETE_AFTER)),
    };
    Ok(Command::Serve(Box::new(Settings {
        addr: addr.unwrap_or_else(|| SocketAddr::from((Ipv4Addr::LOCALHOST, 0))),
        flavor,
        auth,
        api_key,
        timing,
        fail_marker: fail_marker.unwrap_or_else(|| "fail".to_string()),
        cluster_id,
        databases,
        rows_per_file,
    })))
}

/// Fails when a flag that may appear once appears again.
fn once(flag: &str, seen: bool) -> Result<(), UsageError> {
    if seen {
        return Err(usage!("{flag} given more than once"));
    }
    Ok(())
}

/// `HOST:PORT`: an IP address (`127.0.0.1:8080`, `[::1]:8080`) or a name (`localhost:8080`).
fn parse_addr(value: &str) -> Result<SocketAddr, UsageError> {
    if let Ok(addr) = value.parse() {
        return Ok(addr);
    }
    let bad = || usage!("--addr needs HOST:PORT (e.g. 127.0.0.1:19530), not {value:?}");
    match value.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {}
        _ => return Err(bad()),
    }
    value
        .to_socket_addrs()
        .map_err(|e| usage!("--addr {value:?}: {e}"))?
        .next()
        .ok_or_else(bad)
}

/// `500ms`, `2s`, `1.5s`, `1m`, `1h`, or a bare number of seconds.
fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit_secs) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = text.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (text, 1.0)
    };
    let number = number.trim_end();
    // Digits and at most one point: no signs, exponents, "inf" or "NaN".
    if number.is_empty()
        || number == "."
        || !number.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        || number.bytes().filter(|&b| b == b'.').count() > 1
    {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    Duration::try_from_secs_f64(value * unit_secs).ok()
}

/// The URL clients should use: a wildcard address (`0.0.0.0`, `::`) is reached on loopback.
fn url_for(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

/// Writes one line to stderr; a closed stderr is not worth dying for.
fn note(text: &str) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}

fn main() -> ExitCode {
    let command = match parse_args(std::env::args_os().skip(1)) {
        Ok(command) => command,
        Err(e) => {
            note(&format!("{NAME}: error: {e} (see '{NAME} --help')"));
            return ExitCode::from(2);
        }
    };
    let settings = match command {
        Command::Help => return print_stdout(USAGE.trim_end()),
        Command::Version => return print_stdout(&format!("{NAME} {}", env!("CARGO_PKG_VERSION"))),
        Command::Serve(settings) => settings,
    };
    serve(&settings)
}

/// Prints `text` and a newline on stdout: exit status 0, or 1 if stdout is gone.
fn print_stdout(text: &str) -> ExitCode {
    let mut out = io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}

/// Runs the emulator until SIGINT or SIGTERM.
fn serve(settings: &Settings) -> ExitCode {
    // The handler goes in before the URL is printed, so a client that signals as soon as it
    // has read the URL always gets a clean stop. A second signal stops at once.
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let signals = AtomicUsize::new(0);
    let installed = ctrlc::set_handler(move || {
        if signals.fetch_add(1, Ordering::SeqCst) > 0 {
            note(&format!("{NAME}: stopping now"));
            std::process::exit(130);
        }
        let _ = stop_tx.send(());
    });
    if let Err(e) = installed {
        note(&format!("{NAME}: cannot install the Ctrl-C handler: {e}"));
        return ExitCode::FAILURE;
    }

    let emulator = match Emulator::start(settings.config()) {
        Ok(emulator) => emulator,
        Err(e) => {
            note(&format!("{NAME}: cannot listen on {}: {e}", settings.addr));
            return ExitCode::FAILURE;
        }
    };
    let url = url_for(emulator.addr());
    {
        let mut out = io::stdout().lock();
        if let Err(e) = writeln!(out, "{url}").and_then(|()| out.flush()) {
            note(&format!("{NAME}: cannot write the URL to stdout: {e}"));
            emulator.shutdown();
            return ExitCode::FAILURE;
        }
    }
    note(&settings.describe(&url));

    // Err means the handler (and its sender) is gone, which cannot happen while it is
    // installed; stop in either case.
    let _ = stop_rx.recv();
    emulator.shutdown();
    note(&format!("{NAME}: stopped"));
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, UsageError> {
        parse_args(args.iter().map(OsString::from))
    }

    fn settings(args: &[&str]) -> Settings {
        match parse(args) {
            Ok(Command::Serve(settings)) => *settings,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    fn error(args: &[&str]) -> String {
        match parse(args) {
            Err(UsageError(message)) => message,
            other => panic!("{args:?}: expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let s = settings(&[]);
        assert_eq!(s.addr, "127.0.0.1:0".parse().unwrap());
        assert_eq!(s.flavor, Flavor::Milvus);
        assert_eq!(s.timing, Timing::RealTime(Duration::from_secs(2)));
        assert_eq!(s.fail_marker, "fail");
        assert_eq!((s.auth, s.api_key, s.cluster_id), (None, None, None));
        assert!(s.databases.is_empty());
        assert_eq!(s.rows_per_file, None);
    }

    #[test]
    fn every_flag() {
        let s = settings(&[
            "--addr",
            "127.0.0.1:19530",
            "--auth",
            "root:Mil:vus",
            "--complete-after=500ms",
            "--fail-marker",
            "",
            "--database",
            "db1",
            "--database=db2",
            "--database",
            "db1",
            "--rows-per-file",
            "7",
        ]);
        assert_eq!(s.addr.port(), 19530);
        assert_eq!(s.auth, Some(("root".into(), "Mil:vus".into())));
        assert_eq!(s.timing, Timing::RealTime(Duration::from_millis(500)));
        assert_eq!(s.fail_marker, "");
        assert_eq!(s.databases, ["db1", "db2"]);
        assert_eq!(s.rows_per_file, Some(7));

        let s = settings(&[
            "--flavor",
            "cloud",
            "--api-key",
            "k",
            "--cluster-id",
            "in01-x",
            "--per-poll",
        ]);
        assert_eq!(s.flavor, Flavor::Cloud);
        assert_eq!(s.api_key.as_deref(), Some("k"));
        assert_eq!(s.cluster_id.as_deref(), Some("in01-x"));
        assert_eq!(s.timing, Timing::PerPoll);
    }

    #[test]
    fn help_and_version() {
        assert!(matches!(parse(&["-h"]), Ok(Command::Help)));
        assert!(matches!(
            parse(&["--per-poll", "--help"]),
            Ok(Command::Help)
        ));
        assert!(matches!(parse(&["-V"]), Ok(Command::Version)));
        assert!(matches!(parse(&["--version"]), Ok(Command::Version)));
    }

    #[test]
    fn durations() {
        let ms = |text| parse_duration(text).map(|d| d.as_millis());
        assert_eq!(ms("2s"), Some(2000));
        assert_eq!(ms("500ms"), Some(500));
        assert_eq!(ms("1.5s"), Some(1500));
        assert_eq!(ms("1m"), Some(60_000));
        assert_eq!(ms("1h"), Some(3_600_000));
        assert_eq!(ms("3"), Some(3000));
        assert_eq!(ms("0.25"), Some(250));
        assert_eq!(ms("0"), Some(0));
        for bad in [
            "", "s", "ms", ".", "-1s", "1e3", "inf", "NaN", "1.2.3s", "2 days", "soon",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn usage_errors_are_one_line_and_never_show_secrets() {
        for (args, needle) in [
            (&["--bogus"][..], "unknown flag --bogus"),
            (&["--flavor", "nope"], "\"nope\""),
            (&["--addr"], "--addr needs a value"),
            (&["--addr", "--per-poll"], "--addr needs a value"),
            (&["--addr", "nowhere"], "HOST:PORT"),
            (&["--complete-after", "soon"], "\"soon\""),
            (&["--per-poll", "--complete-after", "1s"], "together"),
            (&["--per-poll=yes"], "takes no value"),
            (&["--rows-per-file", "-3"], "whole number"),
            (&["--flavor", "cloud", "--database", "db1"], "--database"),
            (&["--cluster-id", "in01"], "--cluster-id"),
            (
                &["--flavor", "milvus", "--flavor", "cloud"],
                "more than once",
            ),
            (&["serve"], "unexpected argument"),
            (&["--auth", "nocolon-secret"], "USER:PASSWORD"),
            (&["--auth", "root:secret", "--flavor", "cloud"], "--auth"),
            (&["--api-key", "secret"], "--api-key"),
            (
                &["--flavor", "cloud", "--api-key", "--secret"],
                "--api-key=VALUE",
            ),
            (&["--auth", "--root:secret"], "--auth=VALUE"),
        ] {
            let message = error(args);
            assert!(message.contains(needle), "{args:?}: {message}");
            assert!(!message.contains('\n'), "{args:?}: {message}");
            assert!(!message.contains("secret"), "{args:?}: {message}");
        }
    }

    #[test]
    fn description_hides_password_and_key() {
        let s = settings(&["--auth", "root:hunter2"]);
        let text = s.describe("http://127.0.0.1:1");
        assert!(text.contains("auth: on") && text.contains("root"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!format!("{s:?}").contains("hunter2"));

        let s = settings(&["--flavor", "cloud", "--api-key", "sk-123"]);
        let text = s.describe("http://127.0.0.1:1");
        assert!(
            text.contains("auth: on") && !text.contains("sk-123"),
            "{text}"
        );
        assert!(!format!("{s:?}").contains("sk-123"));

        let text = settings(&[]).describe("http://127.0.0.1:1");
        assert!(text.contains("auth: off") && text.contains("2s"), "{text}");
        assert!(text.ends_with("Ctrl-C to stop"), "{text}");
    }

    #[test]
    fn wildcard_addresses_are_reached_on_loopback() {
        assert_eq!(
            url_for("0.0.0.0:8080".parse().unwrap()),
            "http://127.0.0.1:8080"
        );
        assert_eq!(url_for("[::]:8080".parse().unwrap()), "http://[::1]:8080");
        assert_eq!(
            url_for("127.0.0.1:9".parse().unwrap()),
            "http://127.0.0.1:9"
        );
    }
}
