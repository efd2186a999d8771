//! `milvus-import`: the import-jobs API of Milvus / Zilliz Cloud from the shell (feature `cli`).
//!
//! ```text
//! milvus-import --uri http://127.0.0.1:19530 --token root:Milvus create --collection books --file 1.parquet --wait
//! milvus-import list --all --output json | jq '.[] | select(.state == "Failed")'
//! ```
//!
//! Output: `--output table` (the default when stdout is a terminal) prints aligned columns;
//! `--output json` (the default otherwise) prints the server's reply body unchanged, so scripts
//! can pipe it to `jq`. Two exceptions, which have no single server reply: `list --all` prints
//! one JSON array of the records of every page (each rebuilt from the typed record: `jobId`,
//! `collectionName`, `state`, `progress`, `reason` and every other field as sent), and `wait` /
//! `create --wait` print the last `describe` reply seen (after the `create` reply, for
//! `create --wait`). Progress while waiting goes to stderr: a bar when stderr is a terminal,
//! otherwise one plain line `state percent% imported/total rows` per change.
//!
//! `list --all` streams: each record is printed as its page arrives (json: one array, a record
//! a line, closed with `]` after the last page, so that an error midway leaves it unclosed and
//! `jq` fails rather than take part of the list for all of it; table: a row a line, the
//! columns as wide as the header and the first record need, widened when a later cell needs
//! more). A server that keeps sending new pages is stopped by the library's page bound, an
//! error (exit 1).
//!
//! Nothing the server sends can drive the terminal. In table output and on stderr (errors,
//! progress, `--verbose`), control characters (ESC, BEL, CR, NUL, DEL, the C1 controls such
//! as CSI) and the bidirectional overrides are shown as escapes (`\u{1b}`, `\r`, `\u{202e}`);
//! printable text, backslashes included, is shown as it is, so text the library has already
//! escaped is not escaped twice. JSON output keeps the server's bytes except where a terminal
//! would act on them: the reply was parsed as JSON, in which a raw control character can only
//! be whitespace outside strings, so a raw CR is dropped, and DEL, C1 and bidirectional
//! controls (legal raw inside JSON strings) become `\u00XX`-style escapes, which `jq` and every
//! JSON parser read back as the same characters.
//!
//! A closed stdout (its reader, such as `head`, has gone) is not an error: the rest of the
//! output is dropped, `list --all` fetches no more pages, and the exit status is what it would
//! have been (0 when nothing else failed; `create --wait` still waits and reports the import's
//! outcome). A closed stderr is ignored the same way. Any other failure to write stdout is
//! reported (exit 1). Never a panic.
//!
//! Exit codes: 0 success, 1 API, HTTP or transport error, 2 usage error, 3 the import failed
//! (`wait`, `create --wait`), 4 the wait timed out.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write as _};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use milvus_bulk_import::writer::{
    BulkFileType, BulkWriter, BulkWriterBuilder, CollectionSchema, Float16Form, S3Storage,
    VolumeStorage,
};
use milvus_bulk_import::{
    BulkImportApi, BulkImportRequest, DescribeCollectionRequest, Error, ImportJobRecord,
    ImportProgress, JobRequest, ListImportJobsRequest, UreqTransport, WaitOptions,
};
use serde_json::{Map, Value};

/// Command line for the Milvus / Zilliz Cloud bulk-import REST API.
#[derive(Parser, Debug)]
#[command(name = "milvus-import", version, about, long_about = None)]
struct Cli {
    /// Server URL: `http://host:19530` (Milvus) or `https://api.cloud.zilliz.com` (Zilliz Cloud).
    #[arg(long, env = "MILVUS_URI", global = true)]
    uri: Option<String>,
    /// API key (Zilliz Cloud) or user:password (Milvus); empty when auth is off.
    #[arg(long, env = "MILVUS_TOKEN", hide_env_values = true, global = true)]
    token: Option<String>,
    #[command(flatten)]
    target: Target,
    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, value_enum, global = true)]
    output: Option<Output>,
    /// Print each request's method, path, HTTP status and time, and each retry, to stderr.
    #[arg(long, short, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

/// Where a request goes, the same for every command: the Zilliz Cloud target and the
/// database.
#[derive(Args, Debug, Default)]
struct Target {
    /// Zilliz Cloud cluster id.
    #[arg(
        long,
        env = "ZILLIZ_CLUSTER_ID",
        global = true,
        default_value = "",
        hide_default_value = true
    )]
    cluster_id: String,
    /// Zilliz Cloud project id (with --region-id).
    #[arg(long, global = true, default_value = "", hide_default_value = true)]
    project_id: String,
    /// Zilliz Cloud region id (with --project-id).
    #[arg(long, global = true, default_value = "", hide_default_value = true)]
    region_id: String,
    /// Database name (Milvus; Zilliz Dedicated).
    #[arg(long, global = true, default_value = "", hide_default_value = true)]
    db_name: String,
}

impl Target {
    /// Whether the target is Zilliz Cloud (a cluster or a project is named).
    fn is_cloud(&self) -> bool {
        !self.cluster_id.is_empty() || !self.project_id.is_empty()
    }
}

/// The requests a [`Target`] applies to.
trait At: Sized {
    /// The request, sent to `target`.
    fn at(self, target: &Target) -> Self;
}

macro_rules! at {
    ($($request:ty),*) => {$(
        impl At for $request {
            fn at(self, target: &Target) -> Self {
                self.cluster_id(&target.cluster_id)
                    .project_id(&target.project_id)
                    .region_id(&target.region_id)
                    .db_name(&target.db_name)
            }
        }
    )*};
}

at!(JobRequest, ListImportJobsRequest, BulkImportRequest);

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Output {
    Table,
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List import jobs (one page on Zilliz Cloud unless --all).
    List(ListArgs),
    /// Create an import job.
    Create(Box<CreateArgs>),
    /// Describe a job: state, progress, rows.
    Progress {
        /// The job id.
        job: String,
    },
    /// Wait until a job completes, fails, or is ready to commit.
    Wait {
        /// The job id.
        job: String,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Commit a two-phase import (created with --option auto_commit=false).
    Commit {
        /// The job id.
        job: String,
    },
    /// Abort an import job.
    Abort {
        /// The job id.
        job: String,
    },
    /// Write JSON Lines rows into import files (no server needed); prints the batch files.
    Write(WriteArgs),
    /// Write JSON Lines rows into files, upload them (S3 or a Zilliz volume), create the
    /// import job, and optionally wait for it.
    Import(Box<ImportArgs>),
}

#[derive(Args, Debug)]
struct ImportArgs {
    /// Target collection.
    #[arg(long)]
    collection: String,
    /// The collection's schema as JSON [default: asked from the server (collections/describe)].
    #[arg(long)]
    schema: Option<std::path::PathBuf>,
    /// Upload to this S3 location: `s3://bucket/prefix` (Milvus: its own bucket; the files are
    /// then imported by their bucket-relative keys).
    #[arg(
        long,
        value_name = "s3://BUCKET/PREFIX",
        required_unless_present = "volume",
        conflicts_with = "volume"
    )]
    s3: Option<String>,
    /// The S3 endpoint URL, e.g. `http://127.0.0.1:9000` (MinIO) or `https://s3.us-east-1.amazonaws.com`.
    #[arg(long, env = "AWS_ENDPOINT_URL", requires = "s3")]
    s3_endpoint: Option<String>,
    /// S3 region.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    s3_region: String,
    /// S3 access key.
    #[arg(long, env = "AWS_ACCESS_KEY_ID", hide_env_values = true)]
    s3_access_key: Option<String>,
    /// S3 secret key.
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    s3_secret_key: Option<String>,
    /// S3 session token (temporary credentials).
    #[arg(long, env = "AWS_SESSION_TOKEN", hide_env_values = true)]
    s3_session_token: Option<String>,
    /// Virtual-hosted-style S3 URLs (bucket.endpoint) instead of path-style.
    #[arg(long, requires = "s3", conflicts_with = "volume")]
    s3_virtual_hosted: bool,
    /// Zilliz Cloud: upload to this volume (with the --uri and --token of the cloud API).
    #[arg(long)]
    volume: Option<String>,
    /// Zilliz Cloud: the folder in the volume [default: the collection name].
    #[arg(long, requires = "volume", conflicts_with = "s3")]
    volume_path: Option<String>,
    /// File format.
    #[arg(long, value_enum, default_value = "parquet")]
    format: FileFormat,
    /// Local staging directory for the files before upload [default: a temporary one].
    #[arg(long)]
    staging: Option<std::path::PathBuf>,
    #[command(flatten)]
    writer: WriterArgs,
    /// Target partition.
    #[arg(long)]
    partition: Option<String>,
    /// Import option key=value (repeatable).
    #[arg(long = "option", value_name = "KEY=VALUE", value_parser = parse_option)]
    options: Vec<(String, String)>,
    /// Then wait for the job, like `wait`.
    #[arg(long)]
    wait: bool,
    #[command(flatten)]
    wait_args: WaitArgs,
    /// JSON Lines input, one row per line ("-" or nothing: stdin).
    rows: Option<std::path::PathBuf>,
}

#[derive(Args, Debug)]
struct WriteArgs {
    /// The collection's schema: a REST `collections/describe` reply (or its `data`), or
    /// pymilvus's `CollectionSchema.to_dict()` as JSON.
    #[arg(long)]
    schema: std::path::PathBuf,
    /// File format.
    #[arg(long, value_enum, default_value = "parquet")]
    format: FileFormat,
    /// Directory for the files (created if missing); they go to `DIR/<uuid>/`.
    #[arg(long)]
    out: std::path::PathBuf,
    #[command(flatten)]
    writer: WriterArgs,
    /// JSON Lines input, one row per line ("-" or nothing: stdin).
    rows: Option<std::path::PathBuf>,
}

#[derive(Args, Debug)]
struct WriterArgs {
    /// Start a new file past this many bytes of rows (as pymilvus counts them) [default: 128 MiB].
    #[arg(long)]
    chunk_size: Option<usize>,
    /// Float16/BFloat16 vectors as bytes (Milvus 2.4+) or floats (Milvus 3.x).
    #[arg(long, value_enum, default_value = "bytes")]
    float16: HalfForm,
    /// CSV separator (pass the same to the import as --option sep=…).
    #[arg(long)]
    csv_sep: Option<char>,
    /// CSV text of a null (pass the same to the import as --option nullkey=…).
    #[arg(long)]
    csv_null: Option<String>,
    /// Drop row keys that are not in the schema (when it has no dynamic field).
    #[arg(long)]
    ignore_unknown: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum FileFormat {
    Parquet,
    Json,
    Jsonl,
    Csv,
    Numpy,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum HalfForm {
    Bytes,
    Float,
}

#[derive(Args, Debug)]
struct ListArgs {
    /// Only jobs of this collection.
    #[arg(long)]
    collection: Option<String>,
    /// Every page (json output: one array of the records).
    #[arg(long)]
    all: bool,
    /// Jobs per page (Zilliz Cloud: 1-100).
    #[arg(long)]
    page_size: Option<u32>,
    /// Page to fetch (from 1; with --all, the first page).
    #[arg(long)]
    page: Option<u32>,
}

#[derive(Args, Debug)]
struct CreateArgs {
    /// Target collection.
    #[arg(long)]
    collection: String,
    /// Milvus: files in Milvus's bucket, one import group each.
    #[arg(long, num_args = 1.., required_unless_present_any = ["object_url", "volume"],
          conflicts_with_all = ["object_url", "volume", "data_path"])]
    file: Vec<String>,
    /// Zilliz Cloud: object URLs, one import group each.
    #[arg(long, num_args = 1.., conflicts_with_all = ["volume", "data_path"])]
    object_url: Vec<String>,
    /// Zilliz Cloud: the volume holding the data (with --data-path).
    #[arg(long, requires = "data_path")]
    volume: Option<String>,
    /// Zilliz Cloud: paths inside the volume, one import group each.
    #[arg(long, num_args = 1.., requires = "volume")]
    data_path: Vec<String>,
    /// Target partition.
    #[arg(long)]
    partition: Option<String>,
    /// Import option key=value (repeatable), e.g. auto_commit=false, timeout=300s.
    #[arg(long = "option", value_name = "KEY=VALUE", value_parser = parse_option)]
    options: Vec<(String, String)>,
    /// Object-store access key.
    #[arg(long, requires = "secret_key")]
    access_key: Option<String>,
    /// Object-store secret key.
    #[arg(long, requires = "access_key")]
    secret_key: Option<String>,
    /// Object-store session token (short-term credentials).
    #[arg(long, requires = "access_key")]
    session_token: Option<String>,
    /// Then wait for the job, like `wait`.
    #[arg(long)]
    wait: bool,
    #[command(flatten)]
    wait_args: WaitArgs,
}

#[derive(Args, Debug)]
struct WaitArgs {
    /// Give up after this long (30m, 90s, 500ms, 1h, or seconds) [default: no limit].
    #[arg(long, value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// First pause between polls (grows gently).
    #[arg(long, value_parser = parse_duration, default_value = "2s")]
    interval: Duration,
}

fn parse_option(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("{s:?} is not KEY=VALUE")),
    }
}

/// The duration grammar both binaries share (`500ms`, `1.5s`, `30m`, `1h`, bare seconds).
#[path = "common/duration.rs"]
mod duration;
use duration::parse_duration;

/// `--verbose`: the library's `log` events on stderr. Each exchange (an API call's attempt, an
/// upload's request) is one line, `POST /v2/vectordb/jobs/import/list 200 1.2ms` (or
/// `… failed (timed out) 20000.1ms`), built from the event's key-values; retries and give-ups
/// are printed as the library words them. No event carries a secret, a body or a header value.
struct Verbose;

static VERBOSE: Verbose = Verbose;

impl log::Log for Verbose {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Debug && metadata.target().starts_with("milvus_bulk_import")
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let kv = record.key_values();
        let get = |key: &'static str| kv.get(log::kv::Key::from(key));
        let exchange = (
            get("method"),
            get("path"),
            get("elapsed_ms").and_then(|v| v.to_f64()),
        );
        match exchange {
            (Some(method), Some(path), Some(ms)) => match get("status") {
                Some(status) => note(&format!("{method} {path} {status} {ms:.1}ms")),
                None => {
                    let why = get("transport_error").map(|v| v.to_string());
                    let why = why.as_deref().unwrap_or("no reply");
                    note(&format!("{method} {path} failed ({why}) {ms:.1}ms"))
                }
            },
            _ => note(&record.args().to_string()),
        }
    }

    fn flush(&self) {}
}

/// What ended a command.
enum Failure {
    /// A step failed: what was being done, and the error.
    Step { what: String, error: Error },
    /// Stdout could not be written, for another reason than its reader having gone.
    Stdout(io::Error),
}

type CliResult = Result<(), Failure>;

trait Context<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T, Failure>;
}

impl<T> Context<T> for Result<T, Error> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T, Failure> {
        self.map_err(|error| Failure::Step {
            what: what(),
            error,
        })
    }
}

struct App {
    api: BulkImportApi,
    /// The transport S3 uploads go through.
    uploads: UreqTransport,
    output: Output,
    target: Target,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.verbose && log::set_logger(&VERBOSE).is_ok() {
        log::set_max_level(log::LevelFilter::Debug);
    }
    let output = cli.output.unwrap_or(if std::io::stdout().is_terminal() {
        Output::Table
    } else {
        Output::Json
    });
    if let Command::Write(args) = &cli.command {
        return match write(args, output) {
            Ok(()) => ExitCode::SUCCESS,
            Err(failure) => report(&failure),
        };
    }
    let Some(uri) = cli.uri.clone().filter(|u| !u.trim().is_empty()) else {
        Cli::command()
            .error(
                clap::error::ErrorKind::MissingRequiredArgument,
                "--uri (or MILVUS_URI) is required, e.g. --uri http://127.0.0.1:19530",
            )
            .exit();
    };
    let built = UreqTransport::builder()
        .connect_timeout(Duration::from_secs(20))
        .timeout(Duration::from_secs(60))
        .build()
        .and_then(|uploads| {
            // Uploads to S3 go through the same transport (its timeouts and connection pool).
            let api = BulkImportApi::builder(uri)
                .api_key(cli.token.clone().unwrap_or_default())
                .transport(uploads.clone())
                .build()?;
            Ok((api, uploads))
        });
    let (api, uploads) = match built {
        Ok(built) => built,
        Err(e) => {
            return report(&Failure::Step {
                what: "setting up the client".into(),
                error: e,
            })
        }
    };
    let app = App {
        api,
        uploads,
        output,
        target: cli.target,
    };
    let result = match cli.command {
        Command::List(args) => app.list(&args),
        Command::Create(args) => app.create(&args),
        Command::Progress { job } => app.progress(&job),
        Command::Wait { job, wait } => app.wait(&job, &wait),
        Command::Commit { job } => app.commit(&job),
        Command::Abort { job } => app.abort(&job),
        Command::Write(_) => unreachable!("handled above"),
        Command::Import(args) => app.import(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => report(&failure),
    }
}

/// Prints one line about `failure` to stderr and returns its exit code.
fn report(failure: &Failure) -> ExitCode {
    let (what, error) = match failure {
        Failure::Step { what, error } => (what, error),
        Failure::Stdout(e) => {
            note(&format!("milvus-import: writing to stdout failed: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let hint = match (
        error
            .status()
            .filter(|_| !matches!(error, Error::Storage { .. })),
        error.api_code(),
    ) {
        (Some(401), _) | (_, Some(1800 | 21119)) => "; hint: check --token / MILVUS_TOKEN",
        (Some(403), _) => {
            "; hint: the user lacks the Import privilege on this database; check --db-name"
        }
        (Some(404), _) => "; hint: is --uri a Milvus 2.4+ REST endpoint?",
        _ => "",
    };
    let line = format!("{error}").replace('\n', " ");
    match error {
        // These say what failed themselves: "import job … failed: <reason>".
        Error::ImportFailed { .. } | Error::WaitTimedOut { .. } => {
            note(&format!("milvus-import: {line}{hint}"))
        }
        _ => note(&format!("milvus-import: {what} failed: {line}{hint}")),
    }
    ExitCode::from(match error {
        Error::ImportFailed { .. } => 3,
        Error::WaitTimedOut { .. } => 4,
        Error::InvalidRequest(_) | Error::Config(_) | Error::Schema(_) => 2,
        _ => 1,
    })
}

impl App {
    fn job(&self, job: &str) -> JobRequest {
        JobRequest::new(job).at(&self.target)
    }

    fn list(&self, args: &ListArgs) -> CliResult {
        let mut request = ListImportJobsRequest::new()
            .at(&self.target)
            .collection_name(args.collection.clone().unwrap_or_default());
        if let Some(size) = args.page_size {
            request = request.page_size(size);
        }
        if let Some(page) = args.page {
            request = request.current_page(page);
        }
        let what = || "listing import jobs".to_string();
        if args.all {
            // Each record goes out as its page arrives; once stdout is closed, no more pages.
            let mut pages = self.api.list_all_import_jobs(&request);
            let mut stream = RecordStream::new(self.output);
            while !stdout_closed() {
                match pages.next() {
                    Some(record) => stream.push(&record.context(what)?)?,
                    None => break,
                }
            }
            stream.finish()
        } else {
            let reply = self.api.list_import_jobs(&request).context(what)?;
            match self.output {
                Output::Json => out_json(&reply.response().text()),
                Output::Table => out(&table(
                    &RECORD_HEADER,
                    &reply
                        .data()
                        .records
                        .iter()
                        .map(record_cells)
                        .collect::<Vec<_>>(),
                )),
            }
        }
    }

    fn create(&self, args: &CreateArgs) -> CliResult {
        let groups = |v: &[String]| v.iter().map(|s| vec![s.clone()]).collect::<Vec<_>>();
        let mut request = BulkImportRequest::new(&args.collection)
            .at(&self.target)
            .partition_name(args.partition.clone().unwrap_or_default())
            .access_key(args.access_key.clone().unwrap_or_default())
            .secret_key(args.secret_key.clone().unwrap_or_default())
            .token(args.session_token.clone().unwrap_or_default());
        if !args.file.is_empty() {
            request = request.files(groups(&args.file));
        }
        if !args.object_url.is_empty() {
            request = request.object_urls(groups(&args.object_url));
        }
        if let Some(volume) = &args.volume {
            request = request
                .volume_name(volume)
                .data_paths(groups(&args.data_path));
        }
        for (key, value) in &args.options {
            request = request.option(key, value);
        }
        self.submit(
            &request,
            &args.collection,
            args.wait.then_some(&args.wait_args),
        )
    }

    /// Creates the job, prints it, and waits for it when asked.
    fn submit(
        &self,
        request: &BulkImportRequest,
        collection: &str,
        wait: Option<&WaitArgs>,
    ) -> CliResult {
        let reply = self
            .api
            .bulk_import(request)
            .context(|| format!("creating an import job into {collection}"))?;
        let job_id = reply.data().job_id.clone();
        match self.output {
            Output::Json => out_json(&reply.response().text())?,
            Output::Table => out(&table(
                &["JOB ID", "COLLECTION"],
                &[vec![job_id.clone(), collection.to_string()]],
            ))?,
        }
        if let Some(wait) = wait {
            self.wait(&job_id, wait)?;
        }
        Ok(())
    }

    /// `import`: schema (file or server) → writer → upload → create (→ wait). A temporary
    /// staging directory is removed whatever happens; a `--staging` one keeps the files that
    /// could not be uploaded.
    fn import(&self, args: &ImportArgs) -> CliResult {
        match &args.staging {
            Some(staging) => self.import_via(args, staging),
            None => {
                let staging =
                    std::env::temp_dir().join(format!("milvus-import-{}", std::process::id()));
                let result = self.import_via(args, &staging);
                let _ = std::fs::remove_dir_all(&staging);
                result
            }
        }
    }

    fn import_via(&self, args: &ImportArgs, staging: &std::path::Path) -> CliResult {
        let schema = match &args.schema {
            Some(path) => load_schema(path)?,
            None => self
                .api
                .describe_collection(
                    &DescribeCollectionRequest::new(&args.collection).db_name(&self.target.db_name),
                )
                .context(|| format!("describing collection {}", args.collection))?
                .into_data(),
        };
        let builder = build_writer(&schema, args.format, staging, &args.writer);
        let mut request = BulkImportRequest::new(&args.collection)
            .at(&self.target)
            .partition_name(args.partition.clone().unwrap_or_default());
        for (key, value) in &args.options {
            request = request.option(key, value);
        }
        let mut s3_target = None;
        let builder = if let Some(location) = &args.s3 {
            let (bucket, prefix) = parse_s3_location(location)
                .map_err(Error::Config)
                .context(|| "reading --s3".into())?;
            let endpoint = args
                .s3_endpoint
                .clone()
                .unwrap_or_else(|| format!("https://s3.{}.amazonaws.com", args.s3_region));
            let mut storage = S3Storage::new(&endpoint, &bucket)
                .transport(self.uploads.clone())
                .region(&args.s3_region)
                .virtual_hosted_style(args.s3_virtual_hosted);
            if let (Some(access), Some(secret)) = (&args.s3_access_key, &args.s3_secret_key) {
                storage = storage.credentials(access, secret);
            }
            if let Some(token) = &args.s3_session_token {
                storage = storage.session_token(token);
            }
            s3_target = Some((endpoint, bucket));
            builder.remote(storage, prefix)
        } else {
            let volume = args.volume.clone().unwrap_or_default();
            let path = args
                .volume_path
                .clone()
                .unwrap_or_else(|| format!("{}/", args.collection));
            builder.volume(VolumeStorage::from_api(self.api.clone(), &volume), path)
        };
        let mut writer = builder.build().context(|| "setting up the writer".into())?;
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        let fed = feed_rows(&mut writer, args.rows.as_deref(), |rows| {
            if let Some(bar) = &bar {
                bar.set_message(format!("{rows} rows written and uploaded"));
            }
        });
        if let Some(bar) = &bar {
            bar.finish_and_clear();
        }
        fed?;
        let files = writer.batch_files();
        note(&format!(
            "wrote and uploaded {} rows in {} file group(s)",
            writer.total_rows(),
            files.len()
        ));
        drop(writer);
        let _ = std::fs::remove_dir(staging);
        if files.is_empty() {
            return Err(Error::InvalidRequest(
                "no rows were read: there is nothing to import".into(),
            ))
            .context(|| "reading the rows".into());
        }
        request = match (&args.volume, &s3_target) {
            (Some(volume), _) => request.volume_name(volume).data_paths(files),
            (None, Some((endpoint, bucket))) if self.target.is_cloud() => request
                .object_urls(
                    files
                        .iter()
                        .map(|g| {
                            g.iter()
                                .map(|k| format!("{}/{bucket}/{k}", endpoint.trim_end_matches('/')))
                                .collect()
                        })
                        .collect::<Vec<Vec<String>>>(),
                )
                .access_key(args.s3_access_key.clone().unwrap_or_default())
                .secret_key(args.s3_secret_key.clone().unwrap_or_default())
                .token(args.s3_session_token.clone().unwrap_or_default()),
            _ => request.files(files),
        };
        self.submit(
            &request,
            &args.collection,
            args.wait.then_some(&args.wait_args),
        )
    }

    fn progress(&self, job: &str) -> CliResult {
        let reply = self
            .api
            .get_import_progress(&self.job(job))
            .context(|| format!("describing import job {job}"))?;
        match self.output {
            Output::Json => out_json(&reply.response().text()),
            Output::Table => out(&progress_table(reply.data())),
        }
    }

    fn wait(&self, job: &str, args: &WaitArgs) -> CliResult {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(100);
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg:<24} [{bar:30}] {pos:>3}% {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        let mut options = WaitOptions::new().interval(args.interval);
        if let Some(timeout) = args.timeout {
            options = options.timeout(timeout);
        }
        let options = options.on_progress(|p| {
            let rows = rows(p);
            match &bar {
                Some(bar) => {
                    bar.set_position(u64::from(p.progress.unwrap_or(0).min(100)));
                    bar.set_message(terminal_safe(&format!("{} {rows}", p.state)).into_owned());
                }
                None => note(&format!("{} {}% {rows}", p.state, p.progress.unwrap_or(0))),
            }
        });
        let result = self.api.wait_for_import(&self.job(job), &options);
        drop(options);
        if let Some(bar) = &bar {
            bar.finish_and_clear();
        }
        let done = result.context(|| format!("waiting for import job {job}"))?;
        match self.output {
            // The last describe reply, as the server sent it.
            Output::Json => out_json(&done.response().text()),
            Output::Table => out(&progress_table(done.data())),
        }
    }

    fn commit(&self, job: &str) -> CliResult {
        let reply = self
            .api
            .commit_import(&self.job(job))
            .context(|| format!("committing import job {job}"))?;
        match self.output {
            Output::Json => out_json(&reply.response().text()),
            Output::Table => out(&format!("committed import job {}\n", terminal_safe(job))),
        }
    }

    fn abort(&self, job: &str) -> CliResult {
        let reply = self
            .api
            .abort_import(&self.job(job))
            .context(|| format!("aborting import job {job}"))?;
        match self.output {
            Output::Json => out_json(&reply.response().text()),
            Output::Table => out(&format!("aborted import job {}\n", terminal_safe(job))),
        }
    }
}

/// `s3://bucket/prefix` → (bucket, prefix).
fn parse_s3_location(location: &str) -> Result<(String, String), String> {
    let rest = location
        .strip_prefix("s3://")
        .ok_or_else(|| format!("{location:?} is not an s3://bucket/prefix location"))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(format!("{location:?} names no bucket"));
    }
    Ok((bucket.to_string(), prefix.trim_matches('/').to_string()))
}

/// Reads a schema file (a describe reply or pymilvus's to_dict JSON).
fn load_schema(path: &std::path::Path) -> Result<CollectionSchema, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| Error::Io {
            action: "reading",
            path: path.to_path_buf(),
            source,
        })
        .context(|| "reading the schema".into())?;
    CollectionSchema::from_json(&text).context(|| "reading the schema".into())
}

/// A writer for `schema` whose files go under `dir`.
fn build_writer(
    schema: &CollectionSchema,
    format: FileFormat,
    dir: &std::path::Path,
    args: &WriterArgs,
) -> BulkWriterBuilder {
    let mut builder = BulkWriter::builder(schema, dir)
        .file_type(match format {
            FileFormat::Parquet => BulkFileType::Parquet,
            FileFormat::Json => BulkFileType::Json,
            FileFormat::Jsonl => BulkFileType::Jsonl,
            FileFormat::Csv => BulkFileType::Csv,
            FileFormat::Numpy => BulkFileType::Numpy,
        })
        .float16_form(match args.float16 {
            HalfForm::Bytes => Float16Form::Bytes,
            HalfForm::Float => Float16Form::Float,
        })
        .ignore_unknown_fields(args.ignore_unknown);
    if let Some(size) = args.chunk_size {
        builder = builder.chunk_size(size);
    }
    if let Some(sep) = args.csv_sep {
        builder = builder.csv_separator(sep);
    }
    if let Some(key) = &args.csv_null {
        builder = builder.csv_null_key(key.clone());
    }
    builder
}

/// Feeds JSON Lines from `rows` (a file, or stdin for `-`/none) into `writer`, calling
/// `progress` with the row count now and then.
fn feed_rows(
    writer: &mut BulkWriter,
    rows: Option<&std::path::Path>,
    mut progress: impl FnMut(u64),
) -> CliResult {
    use std::io::BufRead;
    let input: Box<dyn BufRead> = match rows {
        None => Box::new(std::io::stdin().lock()),
        Some(p) if p.as_os_str() == "-" => Box::new(std::io::stdin().lock()),
        Some(p) => Box::new(std::io::BufReader::new(
            std::fs::File::open(p)
                .map_err(|source| Error::Io {
                    action: "opening",
                    path: p.to_path_buf(),
                    source,
                })
                .context(|| "reading the rows".into())?,
        )),
    };
    let what = || "writing the rows".to_string();
    for (n, line) in input.lines().enumerate() {
        let line = line
            .map_err(|source| Error::Io {
                action: "reading",
                path: rows
                    .map(|p| p.to_path_buf())
                    .unwrap_or_else(|| "stdin".into()),
                source,
            })
            .context(what)?;
        if line.trim().is_empty() {
            continue;
        }
        let row: Value = serde_json::from_str(&line)
            .map_err(|e| Error::InvalidRow {
                row: n as u64,
                field: None,
                reason: format!("line {} is not JSON: {e}", n + 1),
            })
            .context(what)?;
        writer
            .append_row(&row)
            .context(|| format!("writing the rows (line {})", n + 1))?;
        if n % 4096 == 0 {
            progress(writer.total_rows());
        }
    }
    writer.commit().context(what)?;
    progress(writer.total_rows());
    Ok(())
}

fn print_batch_files(files: &[Vec<String>], output: Output) -> CliResult {
    match output {
        Output::Json => out_json(&serde_json::json!(files).to_string()),
        Output::Table => {
            let mut text = String::new();
            for group in files {
                text.push_str(&terminal_safe(&group.join(" ")));
                text.push('\n');
            }
            out(&text)
        }
    }
}

/// `write`: rows to files, no server.
fn write(args: &WriteArgs, output: Output) -> CliResult {
    let schema = load_schema(&args.schema)?;
    let mut writer = build_writer(&schema, args.format, &args.out, &args.writer)
        .build()
        .context(|| "setting up the writer".into())?;
    feed_rows(&mut writer, args.rows.as_deref(), |_| {})?;
    let files = writer.batch_files();
    if files.is_empty() {
        note("no rows were read: no files written");
    } else {
        note(&format!(
            "wrote {} rows into {} file group(s) under {}",
            writer.total_rows(),
            files.len(),
            writer.data_path().display()
        ));
    }
    print_batch_files(&files, output)
}

fn rows(p: &ImportProgress) -> String {
    let n = |v: Option<u64>| v.map_or("?".to_string(), |v| v.to_string());
    format!("{}/{} rows", n(p.imported_rows), n(p.total_rows))
}

fn percent(p: Option<u32>) -> String {
    p.map_or("-".to_string(), |p| format!("{p}%"))
}

/// A list record as JSON, for `list --all --output json`.
fn record_json(r: &ImportJobRecord) -> Value {
    let mut m = Map::new();
    m.insert("jobId".into(), r.job_id.clone().into());
    m.insert("collectionName".into(), r.collection_name.clone().into());
    m.insert("state".into(), r.state.as_str().into());
    if let Some(p) = r.progress {
        m.insert("progress".into(), p.into());
    }
    if let Some(reason) = &r.reason {
        m.insert("reason".into(), reason.clone().into());
    }
    for (k, v) in &r.extra {
        m.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Value::Object(m)
}

/// The columns of a list of jobs.
const RECORD_HEADER: [&str; 5] = ["JOB ID", "COLLECTION", "STATE", "PROGRESS", "REASON"];

/// A list record's table cells, in [`RECORD_HEADER`]'s order.
fn record_cells(r: &ImportJobRecord) -> Vec<String> {
    vec![
        r.job_id.clone(),
        r.collection_name.clone(),
        r.state.to_string(),
        percent(r.progress),
        r.reason.clone().unwrap_or_default(),
    ]
}

/// `progress` / `wait` as a table: a header and one row.
fn progress_table(p: &ImportProgress) -> String {
    table(
        &[
            "JOB ID",
            "COLLECTION",
            "STATE",
            "PROGRESS",
            "ROWS",
            "REASON",
        ],
        &[vec![
            p.job_id.clone(),
            p.collection_name.clone(),
            p.state.to_string(),
            percent(p.progress),
            rows(p),
            p.reason.clone().unwrap_or_default(),
        ]],
    )
}

/// Left-aligned columns separated by two spaces; no trailing blanks; every cell made
/// [terminal-safe](terminal_safe) (before measuring it).
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|c| terminal_safe(c).into_owned()).collect())
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        widen(&mut widths, row);
    }
    let mut out = table_line(header, &widths);
    for row in &rows {
        out.push_str(&table_line(row, &widths));
    }
    out
}

/// Widens `widths` to fit `cells`.
fn widen(widths: &mut [usize], cells: &[String]) {
    for (w, cell) in widths.iter_mut().zip(cells) {
        *w = (*w).max(cell.chars().count());
    }
}

/// One line of a table, `\n` included (cells already terminal-safe).
fn table_line<S: AsRef<str>>(cells: &[S], widths: &[usize]) -> String {
    let mut line = String::new();
    for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        let _ = write!(line, "{:<w$}", cell.as_ref());
    }
    let mut line = line.trim_end().to_string();
    line.push('\n');
    line
}

/// `list --all` output, written record by record as the pages arrive.
///
/// json: one array, a record a line (`[`, then `{…}`, `,{…}`, …, `]`: each line whole as soon
/// as it is written); the `[` goes out with the first record (or at the end),
/// the `]` only from [`finish`](RecordStream::finish), so an error midway leaves the array
/// unclosed (and `jq` fails) rather than passing part of the list off as all of it. table: the
/// header goes out with the first record, the columns as wide as the header and that record
/// need; a wider cell later widens its column from then on.
struct RecordStream {
    output: Output,
    started: bool,
    widths: Vec<usize>,
}

impl RecordStream {
    fn new(output: Output) -> RecordStream {
        RecordStream {
            output,
            started: false,
            widths: RECORD_HEADER.iter().map(|h| h.chars().count()).collect(),
        }
    }

    fn push(&mut self, record: &ImportJobRecord) -> CliResult {
        let mut text = String::new();
        match self.output {
            Output::Json => {
                // The separator leads, so each record's line is whole as soon as it is out.
                text.push_str(if self.started { "," } else { "[\n" });
                text.push_str(&json_safe(&record_json(record).to_string()));
                text.push('\n');
            }
            Output::Table => {
                let cells: Vec<String> = record_cells(record)
                    .iter()
                    .map(|c| terminal_safe(c).into_owned())
                    .collect();
                widen(&mut self.widths, &cells);
                if !self.started {
                    text.push_str(&table_line(&RECORD_HEADER, &self.widths));
                }
                text.push_str(&table_line(&cells, &self.widths));
            }
        }
        self.started = true;
        out(&text)
    }

    /// Ends the output after the last record (an empty list: `[]`, or just the header).
    fn finish(self) -> CliResult {
        match (self.output, self.started) {
            (Output::Json, false) => out("[]\n"),
            (Output::Json, true) => out("]\n"),
            (Output::Table, false) => out(&table_line(&RECORD_HEADER, &self.widths)),
            (Output::Table, true) => Ok(()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Writing to stdout and stderr
// ---------------------------------------------------------------------------------------------

/// Set once a write found stdout closed by its reader (`milvus-import list | head -1`).
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether stdout has been found closed: later output is dropped, `list --all` stops.
fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// Writes `text` to stdout and flushes it. A closed stdout (EPIPE: the reader has gone) is
/// not a failure: this text and all later output are dropped, quietly. Any other write error
/// ends the command (exit 1).
fn out(text: &str) -> CliResult {
    if stdout_closed() {
        return Ok(());
    }
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => Err(Failure::Stdout(e)),
    }
}

/// Writes a JSON document (a server reply) and a newline to stdout, made [`json_safe`].
fn out_json(json: &str) -> CliResult {
    let mut text = json_safe(json).into_owned();
    text.push('\n');
    out(&text)
}

/// Writes one line to stderr, made [`terminal_safe`]. Errors (a closed stderr) are ignored:
/// there is nowhere left to report them, and the exit status still tells the outcome.
fn note(line: &str) {
    let mut text = terminal_safe(line).into_owned();
    text.push('\n');
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// A character a terminal acts on instead of showing: the C0 controls (ESC, BEL, CR, BS, …),
/// DEL, the C1 controls (CSI, OSC, … as UTF-8), the line and paragraph separators, and the
/// bidirectional marks, embeddings, overrides and isolates (which reorder what is shown): the
/// same set as the library's error messages escape, and TAB.
fn is_terminal_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every [terminal control](is_terminal_control) shown as an escape (`\t`, `\n`,
/// `\r`, else `\u{1b}`-style), so no server text can move the cursor, rewrite a line, set the
/// clipboard (OSC 52) or the window title. Everything else is kept, backslashes included:
/// text that is already escaped (the library's error messages) is not escaped again.
fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_terminal_control) {
        return Cow::Borrowed(text);
    }
    let mut safe = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\t' => safe.push_str("\\t"),
            '\n' => safe.push_str("\\n"),
            '\r' => safe.push_str("\\r"),
            c if is_terminal_control(c) => {
                let _ = write!(safe, "\\u{{{:x}}}", u32::from(c));
            }
            c => safe.push(c),
        }
    }
    Cow::Owned(safe)
}

/// A JSON text with the characters a terminal would act on rewritten, its value unchanged.
///
/// In valid JSON (every reply printed has been parsed) a raw control character is whitespace
/// outside strings (TAB, LF, CR), as a raw one inside a string is invalid; DEL, the C1 controls
/// and the bidirectional controls may appear raw only inside strings. So: a raw CR is dropped
/// (whitespace), and any other control but TAB and LF, and every bidirectional control,
/// becomes a `\uXXXX` escape, which a JSON parser reads back as the same character. Anything
/// else, including escapes the server wrote, is kept byte for byte.
fn json_safe(json: &str) -> Cow<'_, str> {
    let rewrite = |c: char| c != '\t' && c != '\n' && is_terminal_control(c);
    if !json.chars().any(rewrite) {
        return Cow::Borrowed(json);
    }
    let mut safe = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        match c {
            '\r' => {}
            c if rewrite(c) => {
                let _ = write!(safe, "\\u{:04x}", u32::from(c));
            }
            c => safe.push(c),
        }
    }
    Cow::Owned(safe)
}

#[cfg(test)]
mod tests {
    use super::{json_safe, parse_option, terminal_safe};
    use serde_json::Value;

    #[test]
    fn terminal_text_shows_controls_as_escapes_once() {
        assert_eq!(terminal_safe("plain \\u{1b} text"), "plain \\u{1b} text");
        assert_eq!(
            terminal_safe("a\u{1b}]52;c;eA==\u{7}b\rc\nd\te\u{9b}f\u{202e}g\u{7f}"),
            "a\\u{1b}]52;c;eA==\\u{7}b\\rc\\nd\\te\\u{9b}f\\u{202e}g\\u{7f}"
        );
        // Escaping twice changes nothing more: the output has no control left.
        let once = terminal_safe("\u{1b}[2J").into_owned();
        assert_eq!(terminal_safe(&once), once);
    }

    #[test]
    fn json_keeps_its_value_and_loses_its_terminal_controls() {
        let body = "{\"reason\":\"x\u{9b}31m\u{7f}\u{202e}y\\u001b\",\r\n\"n\":1}";
        let safe = json_safe(body);
        assert!(!safe
            .chars()
            .any(|c| c == '\r' || c == '\u{9b}' || c == '\u{7f}'));
        assert!(safe.contains("\\u001b"), "{safe}");
        let a: Value = serde_json::from_str(body).unwrap();
        let b: Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(a, b);
        assert_eq!(json_safe("{\"a\":\"b\"}\n"), "{\"a\":\"b\"}\n");
    }

    #[test]
    fn options() {
        assert_eq!(
            parse_option("auto_commit=false"),
            Ok(("auto_commit".into(), "false".into()))
        );
        assert_eq!(parse_option("k=a=b"), Ok(("k".into(), "a=b".into())));
        assert!(parse_option("=x").is_err());
        assert!(parse_option("x").is_err());
    }
}
