//! The `milvus-import` binary as a subprocess: [`Run`] (arguments, variables, stdin, `TMPDIR`,
//! a closed stderr) started by [`bin`] or [`at`], run to its [`Out`] with the checks every CLI
//! test makes, or spawned as a [`Running`] child (killed on drop) to talk to while it runs.
//! The variables the binary reads ([`READ_VARS`]) are removed from every run, so a
//! developer's `MILVUS_URI` / `MILVUS_TOKEN` / `AWS_*` cannot leak in, and every run is killed
//! after 20 s.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::Duration;

use milvus_bulk_import::emulator::Emulator;
use serde_json::Value;

use super::child::ChildGuard;

pub const BIN: &str = env!("CARGO_BIN_EXE_milvus-import");

/// Variables the binary reads, removed from every run.
pub const READ_VARS: [&str; 8] = [
    "MILVUS_URI",
    "MILVUS_TOKEN",
    "ZILLIZ_CLUSTER_ID",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
];

#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// stdout as one JSON document.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {self:#?}"))
    }

    /// stdout as a stream of JSON documents (`create --wait` and `import --wait` print two).
    pub fn json_stream(&self) -> Vec<Value> {
        serde_json::Deserializer::from_str(&self.stdout)
            .into_iter::<Value>()
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:#?}"))
    }

    /// stdout as the batch files `write` prints.
    pub fn batch_files(&self) -> Vec<Vec<String>> {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not the batch files ({e}): {self:#?}"))
    }

    #[track_caller]
    pub fn ok(&self) -> &Self {
        assert_eq!(self.code, 0, "{self:#?}");
        self
    }

    /// Asserts the exit code only (a usage error from clap takes several lines).
    #[track_caller]
    pub fn exits(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "{self:#?}");
        self
    }

    /// Asserts the exit code and that stderr is one `milvus-import: …` line; returns it.
    #[track_caller]
    pub fn fails(&self, code: i32) -> &str {
        assert_eq!(self.code, code, "{self:#?}");
        assert_eq!(self.stderr.trim_end().lines().count(), 1, "{self:#?}");
        assert!(self.stderr.starts_with("milvus-import: "), "{self:#?}");
        self.stderr.trim_end()
    }

    /// Like [`Out::fails`], but progress (or `--verbose`) lines may precede the one error
    /// line; returns it.
    #[track_caller]
    pub fn fails_after_progress(&self, code: i32) -> &str {
        assert_eq!(self.code, code, "{self:#?}");
        let last = self.stderr.trim_end().lines().last().unwrap_or_default();
        assert!(last.starts_with("milvus-import: "), "{self:#?}");
        last
    }

    /// Asserts that none of `secrets` is in stdout or stderr.
    #[track_caller]
    pub fn hides(&self, secrets: &[&str]) -> &Self {
        for secret in secrets {
            assert!(
                !self.stdout.contains(secret) && !self.stderr.contains(secret),
                "{secret:?} shown: {self:#?}"
            );
        }
        self
    }
}

/// How to run the binary.
pub struct Run<'a> {
    args: Vec<String>,
    env: Vec<(&'a str, String)>,
    stdin: Option<Vec<u8>>,
    tmp: Option<&'a Path>,
    /// stderr is a pipe whose reader is already gone (`2>&-` in a shell, or a dead logger).
    stderr_closed: bool,
}

pub fn bin(args: &[&str]) -> Run<'static> {
    Run {
        args: args.iter().map(|s| s.to_string()).collect(),
        env: Vec::new(),
        stdin: None,
        tmp: None,
        stderr_closed: false,
    }
}

/// `milvus-import --uri <emulator> <args>`.
pub fn at(emulator: &Emulator, args: &[&str]) -> Run<'static> {
    let mut run = bin(&["--uri", &emulator.url()]);
    run.args.extend(args.iter().map(|s| s.to_string()));
    run
}

impl<'a> Run<'a> {
    pub fn env(mut self, key: &'a str, value: impl Into<String>) -> Self {
        self.env.push((key, value.into()));
        self
    }

    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// The child's `TMPDIR` (where a default staging directory goes).
    pub fn tmp(mut self, dir: &'a Path) -> Self {
        self.tmp = Some(dir);
        self
    }

    /// Gives the child a stderr whose reader has gone: every write to it fails (EPIPE).
    pub fn stderr_closed(mut self) -> Self {
        self.stderr_closed = true;
        self
    }

    /// Starts it (without the variables it reads, unless given), stdout piped, stdin fed
    /// from another thread; killed when the [`Running`] is dropped.
    pub fn spawn(self) -> Running {
        let mut command = Command::new(BIN);
        command
            .args(&self.args)
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped());
        if self.stderr_closed {
            // `io::pipe` is Rust 1.87; the test suite needs 1.92 anyway (the library, 1.85).
            #[allow(clippy::incompatible_msrv)]
            let (reader, writer) = std::io::pipe().expect("a pipe");
            drop(reader);
            command.stderr(writer);
        } else {
            command.stderr(Stdio::piped());
        }
        for var in READ_VARS {
            command.env_remove(var);
        }
        if let Some(tmp) = self.tmp {
            command.env("TMPDIR", tmp);
        }
        for (k, v) in &self.env {
            command.env(k, v);
        }
        let mut child = ChildGuard::spawn(&mut command);
        let writer = match (self.stdin, child.stdin.take()) {
            (Some(bytes), Some(mut pipe)) => Some(thread::spawn(move || {
                // The binary may exit before reading everything (a bad row): ignore EPIPE.
                let _ = pipe.write_all(&bytes);
            })),
            _ => None,
        };
        Running {
            child,
            args: self.args,
            writer,
        }
    }

    /// Runs it (without the variables it reads, unless given), killed after 20 s.
    pub fn go(self) -> Out {
        let mut running = self.spawn();
        let mut stdout = running.child.stdout.take().unwrap();
        let stderr = running.child.stderr.take();
        let out_reader = thread::spawn(move || {
            let mut s = String::new();
            stdout.read_to_string(&mut s).map(|_| s)
        });
        let err_reader = thread::spawn(move || {
            let mut s = String::new();
            match stderr {
                Some(mut stderr) => stderr.read_to_string(&mut s).map(|_| s),
                None => Ok(s),
            }
        });
        let status = running.wait();
        Out {
            code: status.code().expect("exited, not killed by a signal"),
            stdout: out_reader.join().unwrap().expect("stdout"),
            stderr: err_reader.join().unwrap().expect("stderr"),
        }
    }
}

/// A running `milvus-import` ([`Run::spawn`]): its pipes are the child's (`child.stdout`,
/// `child.stderr`); killed and reaped when dropped.
pub struct Running {
    pub child: ChildGuard,
    args: Vec<String>,
    writer: Option<thread::JoinHandle<()>>,
}

impl Running {
    /// Waits up to 20 s for the exit (and for stdin to be written); kills it and panics
    /// otherwise.
    pub fn wait(&mut self) -> ExitStatus {
        let Some(status) = self.child.wait(Duration::from_secs(20)) else {
            panic!("milvus-import {:?} did not finish within 20 s", self.args);
        };
        if let Some(writer) = self.writer.take() {
            writer.join().unwrap();
        }
        status
    }
}

/// Runs `milvus-import <args>` with the variables `env` (and none it reads otherwise).
pub fn run_env(args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut run = bin(args);
    for (key, value) in env {
        run = run.env(key, *value);
    }
    run.go()
}

/// Runs `milvus-import --uri <emulator> <args>`.
pub fn run(emulator: &Emulator, args: &[&str]) -> Out {
    at(emulator, args).go()
}
