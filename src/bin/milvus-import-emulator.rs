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
//! are never printed, not even in a usage error.
//!
//! `milvus-import-emulator --help` lists the options (the fields of `Args`, below). Exit status:
//! 0 after a clean stop (or `--help`, `--version`), 1 when the address cannot be bound, 2 for a
//! usage error.
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
//! [emulator]: milvus_bulk_import::emulator

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::ffi::{OsStr, OsString};
use std::io::{self, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use clap::builder::{NonEmptyStringValueParser, TypedValueParser};
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, ValueEnum};
use milvus_bulk_import::emulator::{Emulator, EmulatorConfig, Timing};
use milvus_bulk_import::Secret;

#[path = "common/duration.rs"]
mod duration;
use duration::parse_duration;

/// The command's name, in messages.
const NAME: &str = "milvus-import-emulator";

/// How long a job takes by default under real-time timing.
const DEFAULT_COMPLETE_AFTER: Duration = Duration::from_secs(2);

/// The flags whose values are secrets: no message ever shows their values.
const SECRET_FLAGS: [&str; 2] = ["--auth", "--api-key"];

/// The end of `--help`.
const AFTER_HELP: &str = "\
Serves create, describe, list, commit and abort under /v2/vectordb/jobs/import/ until
Ctrl-C (SIGINT) or SIGTERM. The first line of stdout is the base URL (http://127.0.0.1:PORT).

Example (a shell script):
  milvus-import-emulator > emulator.url &
  until [ -s emulator.url ]; do sleep 0.1; done; URL=$(head -n1 emulator.url)
  curl -s -X POST $URL/v2/vectordb/jobs/import/create \\
       -d '{\"collectionName\":\"c\",\"files\":[[\"1.parquet\"]]}'
  kill -INT %1

Exit status: 0 after a clean stop, 1 if the address cannot be bound, 2 for a usage error.";

/// A local emulator of the Milvus / Zilliz Cloud bulk-import REST API
#[derive(Parser, Debug)]
#[command(name = NAME, bin_name = NAME, version, after_help = AFTER_HELP)]
struct Args {
    /// Where to listen (port 0: a free port).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:0", value_parser = parse_addr)]
    addr: SocketAddr,
    /// Behave like open-source Milvus or Zilliz Cloud.
    #[arg(long, value_enum, ignore_case = true, default_value_t = FlavorArg::Milvus)]
    flavor: FlavorArg,
    /// Milvus: require 'Authorization: Bearer USER:PASSWORD' (else HTTP 401, code 1800).
    #[arg(long, value_name = "USER:PASSWORD", value_parser = SecretValue, allow_hyphen_values = true)]
    auth: Option<Secret>,
    /// Zilliz Cloud: require 'Authorization: Bearer KEY' (else code 21119).
    #[arg(long, value_name = "KEY", value_parser = SecretValue, allow_hyphen_values = true)]
    api_key: Option<Secret>,
    /// A job ends this long after it is created: 500ms, 1.5s, 1m, or a number of seconds (1ms
    /// to a week) [default: 2s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    complete_after: Option<Duration>,
    /// Instead, each describe of a job moves it one step.
    #[arg(long, conflicts_with = "complete_after")]
    per_poll: bool,
    /// Jobs with a source path containing TEXT end Failed ("" turns failures off).
    #[arg(long, value_name = "TEXT", default_value = "fail")]
    fail_marker: String,
    /// Zilliz Cloud: accept only this cluster id (else code 96018) [default: any].
    #[arg(long, value_name = "ID", value_parser = NonEmptyStringValueParser::new())]
    cluster_id: Option<String>,
    /// Milvus: a database besides 'default' (repeatable).
    #[arg(long = "database", value_name = "NAME", value_parser = NonEmptyStringValueParser::new())]
    databases: Vec<String>,
    /// Rows each source file (group) holds [default: 1000].
    #[arg(long, value_name = "N")]
    rows_per_file: Option<u64>,
}

/// Which server to behave like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum FlavorArg {
    // (No doc comments: clap would list the values in a long form.)
    Milvus,
    Cloud,
}

/// The value parser of `--auth` and `--api-key`. clap shows a value it cannot parse in its
/// message, so these flags take any UTF-8 text (checked after parsing, in messages that never
/// show it); text that is not UTF-8 is refused naming the flag alone.
#[derive(Clone)]
struct SecretValue;

impl TypedValueParser for SecretValue {
    type Value = Secret;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<Secret, clap::Error> {
        value.to_str().map(Secret::new).ok_or_else(|| {
            let flag = arg.and_then(clap::Arg::get_long).unwrap_or("secret");
            cmd.clone().error(
                ErrorKind::InvalidUtf8,
                format!("the value of --{flag} is not valid UTF-8"),
            )
        })
    }
}

impl Args {
    /// Parses the command line (program name first). `Err` is a usage error, or the help or
    /// version text (clap's `DisplayHelp` and `DisplayVersion`).
    fn from_command_line(argv: Vec<OsString>) -> Result<Args, clap::Error> {
        if let Some(flag) = secret_followed_by_a_flag(argv.get(1..).unwrap_or_default()) {
            // clap would take the next flag as the value; more likely the value was forgotten.
            return Err(usage(format!(
                "{flag} needs a value (write {flag}=VALUE if it starts with --)"
            )));
        }
        Args::try_parse_from(argv)?.checked()
    }

    /// The checks clap cannot make: which flags go with which flavor, the form of `--auth`.
    /// Messages name flags, never a secret's value.
    fn checked(mut self) -> Result<Args, clap::Error> {
        match self.flavor {
            FlavorArg::Milvus if self.api_key.is_some() => {
                return Err(usage(
                    "--api-key is for --flavor cloud; Milvus takes --auth USER:PASSWORD",
                ))
            }
            FlavorArg::Milvus if self.cluster_id.is_some() => {
                return Err(usage("--cluster-id is for --flavor cloud"))
            }
            FlavorArg::Cloud if self.auth.is_some() => {
                return Err(usage(
                    "--auth is for --flavor milvus; Zilliz Cloud takes --api-key KEY",
                ))
            }
            FlavorArg::Cloud if !self.databases.is_empty() => {
                return Err(usage("--database is for --flavor milvus"))
            }
            _ => {}
        }
        if self.auth.is_some() && self.credentials().is_none() {
            return Err(usage("--auth needs USER:PASSWORD (e.g. root:Milvus)"));
        }
        if self.api_key.as_ref().is_some_and(Secret::is_empty) {
            return Err(usage("--api-key needs a non-empty KEY"));
        }
        let mut databases = Vec::new();
        for name in std::mem::take(&mut self.databases) {
            if name != "default" && !databases.contains(&name) {
                databases.push(name);
            }
        }
        self.databases = databases;
        Ok(self)
    }

    /// `--auth` as (user, password).
    fn credentials(&self) -> Option<(&str, &str)> {
        let (user, password) = self.auth.as_ref()?.secret().split_once(':')?;
        (!user.is_empty()).then_some((user, password))
    }

    fn timing(&self) -> Timing {
        if self.per_poll {
            Timing::PerPoll
        } else {
            Timing::RealTime(self.complete_after.unwrap_or(DEFAULT_COMPLETE_AFTER))
        }
    }

    /// The emulator configuration these arguments describe.
    fn config(&self) -> EmulatorConfig {
        let mut config = match self.flavor {
            FlavorArg::Milvus => EmulatorConfig::milvus(),
            FlavorArg::Cloud => EmulatorConfig::cloud(),
        }
        .addr(self.addr)
        // Nobody can read the recorded requests of a standalone emulator: keep none.
        .record_limit(0)
        .timing(self.timing())
        .fail_marker(self.fail_marker.clone());
        if let Some((user, password)) = self.credentials() {
            config = config.auth(user, password);
        }
        if let Some(key) = &self.api_key {
            config = config.api_key(key.secret());
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
            FlavorArg::Milvus => "open-source Milvus",
            FlavorArg::Cloud => "Zilliz Cloud",
        };
        let auth = match (self.credentials(), &self.api_key) {
            (Some((user, _)), _) => {
                format!("on (requires 'Authorization: Bearer {user}:<password>')")
            }
            (None, Some(_)) => "on (requires 'Authorization: Bearer <api key>')".to_string(),
            (None, None) => "off (any credentials accepted)".to_string(),
        };
        let timing = match self.timing() {
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
            FlavorArg::Milvus => {
                let mut databases = vec!["default"];
                databases.extend(self.databases.iter().map(String::as_str));
                format!("databases: {}", databases.join(", "))
            }
            FlavorArg::Cloud => {
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

/// A usage error of ours, reported like clap's.
fn usage(message: impl std::fmt::Display) -> clap::Error {
    Args::command().error(ErrorKind::ArgumentConflict, message)
}

/// The first secret flag written as `--flag VALUE` whose VALUE starts with `--`, which clap
/// would take as the value (secret flags accept values that start with `-`, so that clap never
/// reads a secret as an unknown flag and shows it).
fn secret_followed_by_a_flag(args: &[OsString]) -> Option<&'static str> {
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        if let Some(flag) = SECRET_FLAGS.into_iter().find(|flag| arg == flag) {
            let value = args.next()?.as_encoded_bytes();
            if value.starts_with(b"--") && value.len() > 2 {
                return Some(flag);
            }
        }
    }
    None
}

/// `HOST:PORT`: an IP address (`127.0.0.1:8080`, `[::1]:8080`) or a name (`localhost:8080`).
fn parse_addr(value: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = value.parse() {
        return Ok(addr);
    }
    let bad = || "not HOST:PORT (e.g. 127.0.0.1:19530)".to_string();
    match value.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {}
        _ => return Err(bad()),
    }
    value
        .to_socket_addrs()
        .map_err(|e| e.to_string())?
        .next()
        .ok_or_else(bad)
}

/// clap's message for a usage error on one line, without its usage section and its pointer to
/// `--help` (the caller adds its own):
/// `invalid value 'nope' for '--flavor <FLAVOR>' [possible values: milvus, cloud]`.
fn one_line(error: &clap::Error) -> String {
    let text = error.render().to_string();
    let lines: Vec<&str> = text
        .lines()
        .take_while(|line| !line.starts_with("Usage:"))
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("For more information"))
        .collect();
    let line = lines.join("; ");
    line.strip_prefix("error: ").unwrap_or(&line).to_string()
}

/// Writes one line to stderr; a closed stderr is not worth dying for.
fn note(text: &str) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}

fn main() -> ExitCode {
    let args = match Args::from_command_line(std::env::args_os().collect()) {
        Ok(args) => args,
        Err(e) => match e.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                return print_stdout(e.render().to_string().trim_end())
            }
            _ => {
                note(&format!(
                    "{NAME}: error: {} (see '{NAME} --help')",
                    one_line(&e)
                ));
                return ExitCode::from(2);
            }
        },
    };
    serve(&args)
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
fn serve(args: &Args) -> ExitCode {
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

    let emulator = match Emulator::start(args.config()) {
        Ok(emulator) => emulator,
        Err(e) => {
            note(&format!("{NAME}: cannot listen on {}: {e}", args.addr));
            return ExitCode::FAILURE;
        }
    };
    let url = emulator.url();
    {
        let mut out = io::stdout().lock();
        if let Err(e) = writeln!(out, "{url}").and_then(|()| out.flush()) {
            note(&format!("{NAME}: cannot write the URL to stdout: {e}"));
            emulator.shutdown();
            return ExitCode::FAILURE;
        }
    }
    note(&args.describe(&url));

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

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        let argv = std::iter::once(NAME).chain(args.iter().copied());
        Args::from_command_line(argv.map(OsString::from).collect())
    }

    fn args(args: &[&str]) -> Args {
        parse(args).unwrap_or_else(|e| panic!("{args:?}: {}", one_line(&e)))
    }

    fn error(args: &[&str]) -> String {
        match parse(args) {
            Err(e) => one_line(&e),
            Ok(parsed) => panic!("{args:?}: expected a usage error, got {parsed:?}"),
        }
    }

    #[test]
    fn clap_definition_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn defaults_and_post_parse_fixes() {
        let a = args(&[]);
        assert_eq!(a.addr, "127.0.0.1:0".parse().unwrap());
        assert_eq!(a.flavor, FlavorArg::Milvus);
        assert_eq!(a.timing(), Timing::RealTime(Duration::from_secs(2)));
        assert_eq!(a.fail_marker, "fail");
        assert!(a.auth.is_none() && a.api_key.is_none() && a.cluster_id.is_none());

        let a = args(&[
            "--auth",
            "root:Mil:vus",
            "--database",
            "db1",
            "--database=db2",
            "--database",
            "db1",
            "--database",
            "default",
            "--fail-marker",
            "",
        ]);
        assert_eq!(a.credentials(), Some(("root", "Mil:vus")));
        assert_eq!(a.databases, ["db1", "db2"]);
        assert_eq!(a.fail_marker, "");

        let a = args(&["--flavor", "CLOUD", "--api-key", "-k", "--per-poll"]);
        assert_eq!(a.flavor, FlavorArg::Cloud);
        assert_eq!(a.api_key.as_ref().map(Secret::secret), Some("-k"));
        assert_eq!(a.timing(), Timing::PerPoll);
    }

    #[test]
    fn usage_errors_are_one_line_and_never_show_secrets() {
        for (args, needle) in [
            (&["--bogus"][..], "--bogus"),
            (&["--flavor", "nope"], "possible values"),
            (
                &["--per-poll", "--complete-after", "1s"],
                "--complete-after",
            ),
            (&["--flavor", "cloud", "--database", "db1"], "--database"),
            (&["--cluster-id", "in01"], "--cluster-id"),
            (&["--auth", "nocolon-secret"], "USER:PASSWORD"),
            (&["--auth", ":secret"], "USER:PASSWORD"),
            (&["--auth", "root:secret", "--flavor", "cloud"], "--auth"),
            (&["--api-key", "secret"], "--api-key"),
            (&["--flavor", "cloud", "--api-key="], "non-empty"),
            (
                &["--flavor", "cloud", "--api-key", "--secret"],
                "--api-key=VALUE",
            ),
            (&["--auth", "--root:secret"], "--auth=VALUE"),
            (&["--auth", "-secret", "--auth", "x:secret"], "--auth"),
            (&["--api-ke=secret"], "--api-ke"),
            (&["--auth=root:secret", "extra"], "extra"),
            (
                &["--flavor", "cloud", "--api-key", "secret", "--per-poll=yes"],
                "--per-poll",
            ),
        ] {
            let message = error(args);
            assert!(message.contains(needle), "{args:?}: {message}");
            assert!(!message.contains('\n'), "{args:?}: {message}");
            assert!(!message.contains("secret"), "{args:?}: {message}");
        }
    }

    #[test]
    fn description_and_debug_hide_password_and_key() {
        let a = args(&["--auth", "root:hunter2"]);
        let text = a.describe("http://127.0.0.1:1");
        assert!(text.contains("auth: on") && text.contains("root"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!format!("{a:?}").contains("hunter2"));

        let a = args(&["--flavor", "cloud", "--api-key", "sk-123"]);
        let text = a.describe("http://127.0.0.1:1");
        assert!(
            text.contains("auth: on") && !text.contains("sk-123"),
            "{text}"
        );
        assert!(!format!("{a:?}").contains("sk-123"));

        let text = args(&[]).describe("http://127.0.0.1:1");
        assert!(text.contains("auth: off") && text.contains("2s"), "{text}");
        assert!(text.ends_with("Ctrl-C to stop"), "{text}");
    }
}
