//! Property test over reply parsing: thousands of generated and mutated replies (envelopes with
//! wrong types, missing and unknown fields, truncations, byte flips, invalid UTF-8, deep
//! nesting, huge numbers, long strings) fed to every operation through the public API.
//!
//! Each result must be `Ok` or a typed reply error (`Api`, `HttpStatus`, `Decode`) and never a
//! panic; a few envelope invariants are checked on top. The generator is a fixed-seed
//! xorshift64*, so a failure is reproducible: its message names the seed and the case (set
//! `PROPERTY_SEED` to try other seeds).

use std::cell::Cell;
use std::fmt::Debug;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use milvus_bulk_import::{
    http, ApiResponse, BulkImportApi, BulkImportRequest, Error, FnTransport, JobRequest,
    ListImportJobsRequest, RetryPolicy,
};
use serde_json::Value;

const DEFAULT_SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// The longest `Display` text accepted for a reply error. Errors quote at most 512 bytes of
/// the body (`SNIPPET_BYTES` in `src/response.rs`); `Decode` prints that quote with `{:?}`,
/// which can escape a byte to up to 6 characters, hence the room.
const MAX_ERROR_TEXT: usize = 4096;

const STATUSES: [u16; 7] = [200, 201, 400, 401, 404, 500, 503];

/// xorshift64*: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn seed() -> u64 {
    std::env::var("PROPERTY_SEED")
        .ok()
        .and_then(|s| {
            let s = s.trim();
            match s.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16).ok(),
                None => s.parse().ok(),
            }
        })
        .unwrap_or(DEFAULT_SEED)
}

// ---- generators -------------------------------------------------------------------------

/// Values of every JSON type, including ones that do not fit any field.
const WEIRD: &[&str] = &[
    r#""abc""#,
    r#""""#,
    r#""   ""#,
    r#""12""#,
    r#"" 7 ""#,
    r#""-1""#,
    r#""1.5""#,
    r#""99.9""#,
    r#""1e400""#,
    r#""NaN""#,
    r#""inf""#,
    r#""18446744073709551616""#,
    r#""\u0000""#,
    r#""\ud800""#,
    r#""\ud83d\ude00""#,
    r#""é漢""#,
    "0",
    "-0",
    "1",
    "-1",
    "100",
    "101",
    "4294967295",
    "4294967296",
    "9007199254740993",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "1e400",
    "-1e400",
    "1e-400",
    "1e2",
    "1E+2",
    "0.0",
    "-0.0",
    "1.5",
    "99.9",
    "4294967295.5",
    "1.8446744073709552e19",
    "true",
    "false",
    "null",
    "{}",
    r#"{"a":1}"#,
    r#"{"jobId":"1"}"#,
    "[]",
    "[1,2]",
    "[null]",
    "[{}]",
    r#"[[["deep"]]]"#,
];

const STATES: &[&str] = &[
    r#""Pending""#,
    r#""Importing""#,
    r#""Completed""#,
    r#""Failed""#,
    r#""Uncommitted""#,
    r#""ImportCompleted""#,
    r#""ImportFailed""#,
    r#""SomethingNew""#,
    r#""""#,
];

/// A plausible value for a field of `kind`, or (often) a value of any type.
fn value(rng: &mut Rng, kind: &str) -> String {
    if rng.chance(45) {
        return rng.pick(WEIRD).to_string();
    }
    if rng.chance(1) {
        return long_string(rng);
    }
    match kind {
        "id" => rng
            .pick(&[r#""453240863839750922""#, "453240863839750922", r#""a-b""#])
            .to_string(),
        "count" => rng.pick(&["0", "12", r#""34""#, "5e3", "null"]).to_string(),
        "percent" => rng.pick(&["0", "50", "100", "99.9", r#""42""#]).to_string(),
        "state" => rng.pick(STATES).to_string(),
        _ => rng
            .pick(&[r#""quick_setup""#, r#""2024-01-01 00:00:00""#, "null"])
            .to_string(),
    }
}

fn long_string(rng: &mut Rng) -> String {
    let len = *rng.pick(&[600, 5_000, 10_000]);
    let unit = *rng.pick(&["x", "é", "\\n", "\\u0001", "\\\""]);
    format!("\"{}\"", unit.repeat(len))
}

/// An object with some of `fields` (each `(name, kind)`), in random order, with duplicates and
/// unknown members now and then.
fn object(rng: &mut Rng, fields: &[(&str, &str)], depth: u32) -> String {
    let mut members = Vec::new();
    for (name, kind) in fields {
        if rng.chance(75) {
            let v = match *kind {
                "records" | "details" => list(rng, kind, depth),
                _ => value(rng, kind),
            };
            members.push(format!("\"{name}\":{v}"));
        }
    }
    for _ in 0..rng.below(3) {
        let name = rng.pick(&["extra", "jobId", "", "\\u0000", "unknownField", "records"]);
        members.push(format!("\"{name}\":{}", rng.pick(WEIRD)));
    }
    shuffle(rng, &mut members);
    format!("{{{}}}", members.join(","))
}

fn shuffle<T>(rng: &mut Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i + 1));
    }
}

const RECORD: &[(&str, &str)] = &[
    ("jobId", "id"),
    ("collectionName", "text"),
    ("state", "state"),
    ("progress", "percent"),
    ("reason", "text"),
];

const DETAIL: &[(&str, &str)] = &[
    ("fileName", "text"),
    ("fileSize", "count"),
    ("state", "state"),
    ("progress", "percent"),
    ("importedRows", "count"),
    ("totalRows", "count"),
    ("completeTime", "text"),
    ("reason", "text"),
];

const PROGRESS: &[(&str, &str)] = &[
    ("jobId", "id"),
    ("collectionName", "text"),
    ("state", "state"),
    ("progress", "percent"),
    ("importedRows", "count"),
    ("totalRows", "count"),
    ("fileSize", "count"),
    ("fileName", "text"),
    ("createTime", "text"),
    ("completeTime", "text"),
    ("reason", "text"),
    ("details", "details"),
];

const LIST: &[(&str, &str)] = &[
    ("records", "records"),
    ("tasks", "records"),
    ("count", "count"),
    ("currentPage", "count"),
    ("pageSize", "count"),
];

const CREATED: &[(&str, &str)] = &[("jobId", "id"), ("jobID", "id")];

fn list(rng: &mut Rng, kind: &str, depth: u32) -> String {
    if depth > 2 || rng.chance(15) {
        return rng.pick(WEIRD).to_string();
    }
    let fields = if kind == "details" { DETAIL } else { RECORD };
    let items: Vec<String> = (0..rng.below(4))
        .map(|_| {
            if rng.chance(10) {
                rng.pick(WEIRD).to_string()
            } else {
                object(rng, fields, depth + 1)
            }
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// The `data` of any operation's reply (so every parser also sees the others' replies).
fn data(rng: &mut Rng) -> String {
    match rng.below(5) {
        0 => object(rng, CREATED, 0),
        1 => object(rng, PROGRESS, 0),
        2 => object(rng, LIST, 0),
        3 => "{}".to_string(),
        _ => rng.pick(WEIRD).to_string(),
    }
}

const CODES: &[&str] = &[
    "0",
    "0",
    "0",
    "200",
    "200",
    "1100",
    "2100",
    "1800",
    "-1",
    "65535",
    r#""0""#,
    r#""200""#,
    "0.0",
    "200.0",
    "null",
    "true",
    "{}",
    "[]",
    "1e400",
    "18446744073709551616",
    "-9223372036854775809",
];

/// A `{"code", "message", "data"}` envelope with random members, order and types.
fn envelope(rng: &mut Rng) -> String {
    if rng.chance(3) {
        // Not an object at all.
        return rng.pick(WEIRD).to_string();
    }
    let mut members = Vec::new();
    if rng.chance(92) {
        members.push(format!("\"code\":{}", rng.pick(CODES)));
    }
    if rng.chance(50) {
        let message = match rng.below(4) {
            0 => long_string(rng),
            1 => rng.pick(WEIRD).to_string(),
            _ => r#""import job not found""#.to_string(),
        };
        members.push(format!("\"message\":{message}"));
    }
    if rng.chance(90) {
        members.push(format!("\"data\":{}", data(rng)));
    }
    if rng.chance(10) {
        members.push(format!("\"code\":{}", rng.pick(CODES)));
    }
    if rng.chance(20) {
        members.push(format!("\"extra\":{}", rng.pick(WEIRD)));
    }
    if rng.chance(30) {
        // `data` before `code`, and other orders.
        shuffle(rng, &mut members);
    }
    let mut body = format!("{{{}}}", members.join(","));
    if rng.chance(5) {
        let tail = *rng.pick::<&str>(&[" ", "\n", "x", "{}", ","]);
        body.push_str(tail);
    }
    body
}

/// Well-formed replies of each operation, the seeds for truncation.
const SAMPLES: &[&str] = &[
    r#"{"code":0,"data":{"jobId":"453240863839750922"}}"#,
    r#"{"code":0,"data":{"collectionName":"quick_setup","completeTime":"2024-05-18T02:57:13Z","details":[{"completeTime":"2024-05-18T02:57:11Z","fileName":"id:1","fileSize":26578118,"importedRows":1000,"progress":100,"state":"Completed","totalRows":1000}],"fileSize":26578118,"importedRows":1000,"jobId":"448761313698322011","progress":100,"state":"Completed","totalRows":1000}}"#,
    r#"{"code":0,"data":{"records":[{"collectionName":"quick_setup","jobId":"453240863839750922","progress":100,"state":"Completed"},{"collectionName":"x","jobId":7,"progress":"50","state":"Importing","reason":""}],"count":2}}"#,
    r#"{"data":{"tasks":[{"collectionName":"medium_articles","jobId":"9d0bc230","state":"ImportCompleted"}]},"code":200}"#,
    r#"{"code":1100,"message":"invalid parameter: \u00e9 \ud83d\ude00","data":{}}"#,
];

/// Mutations of a valid reply: byte flips, invalid UTF-8, deletions, duplications.
fn mutate(rng: &mut Rng, body: &str) -> Vec<u8> {
    let mut bytes = body.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        if bytes.is_empty() {
            break;
        }
        let at = rng.below(bytes.len());
        match rng.below(6) {
            0 => bytes[at] = rng.next() as u8,
            1 => bytes[at] ^= 1 << rng.below(8),
            2 => {
                let bad = *rng.pick::<&[u8]>(&[
                    &[0xff][..],
                    &[0x80],
                    &[0xc0, 0x80],
                    &[0xed, 0xa0, 0x80],
                    &[0xf4, 0x90, 0x80, 0x80],
                    &[0xe6, 0xbc],
                ]);
                bytes.splice(at..at, bad.iter().copied());
            }
            3 => {
                let end = (at + 1 + rng.below(8)).min(bytes.len());
                bytes.drain(at..end);
            }
            4 => {
                let end = (at + 1 + rng.below(16)).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy);
            }
            _ => {
                let token = rng.pick(WEIRD).as_bytes().to_vec();
                bytes.splice(at..at, token);
            }
        }
    }
    bytes
}

/// Replies nested far deeper than any parser should recurse, and other extremes.
fn extremes() -> Vec<Vec<u8>> {
    let n = 10_000;
    let mut out = vec![
        "[".repeat(n),
        "{\"a\":".repeat(n),
        format!("{}{}", "[".repeat(n), "]".repeat(n)),
        format!("{{\"code\":0,\"data\":{}", "[".repeat(n)),
        format!("{{\"code\":0,\"data\":{}{}}}", "[".repeat(n), "]".repeat(n)),
        format!("{{\"data\":{}{},\"code\":0}}", "[".repeat(n), "]".repeat(n)),
        format!("{{\"code\":0,\"data\":{{\"records\":{}", "[".repeat(n)),
        format!(
            "{{\"code\":0,\"data\":{{\"records\":[{{\"jobId\":\"1\",\"x\":{}{}}}]}}}}",
            "[".repeat(n),
            "]".repeat(n)
        ),
        format!("{{\"code\":0,\"data\":{{\"tasks\":{}", "[".repeat(n)),
        format!("{{\"code\":0,\"message\":{}", "{\"a\":".repeat(n)),
        format!("{{\"code\":1100,\"message\":{}", "[".repeat(n)),
        format!(
            "{{\"code\":0,\"data\":{{\"jobId\":\"1\",\"details\":[{{\"x\":{}}}]}}}}",
            "[".repeat(n)
        ),
        // 100 and 127 levels: just under and around serde_json's recursion limit of 128.
        format!(
            "{{\"code\":0,\"data\":{}{}}}",
            "[".repeat(100),
            "]".repeat(100)
        ),
        format!(
            "{{\"code\":0,\"data\":{}{}}}",
            "[".repeat(127),
            "]".repeat(127)
        ),
        String::new(),
        " ".to_string(),
        "\u{feff}{\"code\":0,\"data\":{}}".to_string(),
        "{\"code\":0,\"data\":{}}\u{0}".to_string(),
        "0".repeat(100_000),
        format!("{{\"code\":0{},\"data\":{{}}}}", "0".repeat(10_000)),
        format!("{{\"code\":1{}}}", "0".repeat(10_000)),
        format!("{{\"code\":1100,\"message\":\"{}\"}}", "x".repeat(1 << 18)),
        format!(
            "{{\"code\":1100,\"message\":\"{}\"}}",
            "\\u0001".repeat(100_000)
        ),
        format!(
            "{{\"code\":0,\"data\":{{\"jobId\":\"{}\"}}}}",
            "9".repeat(1 << 18)
        ),
        format!("{{\"code\":0,\"data\":{{\"{}\":1}}}}", "k".repeat(1 << 18)),
        format!("<html>{}</html>", "\u{1}".repeat(100_000)),
    ]
    .into_iter()
    .map(String::into_bytes)
    .collect::<Vec<_>>();
    out.push(vec![0xff; 4096]);
    out.push([&b"{\"code\":0,\"message\":\""[..], &[0xff; 2048], b"\"}"].concat());
    out
}

// ---- the harness ------------------------------------------------------------------------

/// Where the test transport's next reply comes from.
type Slot = Arc<Mutex<(u16, Vec<u8>)>>;

struct Harness {
    api: BulkImportApi,
    slot: Slot,
    seed: u64,
    cases: usize,
    ok: usize,
    errors: [usize; 3],
    long_reasons: Cell<usize>,
}

impl Harness {
    fn new(seed: u64) -> Self {
        let slot: Slot = Arc::new(Mutex::new((200, Vec::new())));
        let reply = slot.clone();
        let transport = FnTransport::new(move |_request| {
            let (status, body) = reply.lock().unwrap().clone();
            let mut response = http::Response::new(body);
            *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
            Ok(response)
        });
        let api = BulkImportApi::builder("http://127.0.0.1:19530")
            .api_key("property-test-key")
            // One attempt per call: a retried 503 would only sleep.
            .retry(RetryPolicy::none())
            .transport(transport)
            .build()
            .unwrap();
        Harness {
            api,
            slot,
            seed,
            cases: 0,
            ok: 0,
            errors: [0; 3],
            long_reasons: Cell::new(0),
        }
    }

    /// Feeds `body` with `status` to all five operations and checks each result.
    fn run(&mut self, what: &str, status: u16, body: &[u8]) {
        self.cases += 1;
        *self.slot.lock().unwrap() = (status, body.to_vec());
        let case = Case {
            what,
            seed: self.seed,
            index: self.cases,
            status,
            body,
            parsed: serde_json::from_slice(body).ok(),
            long_reasons: &self.long_reasons,
        };
        let api = &self.api;
        let job = JobRequest::new("453240863839750922");
        let outcomes = [
            case.call("bulk_import", || {
                api.bulk_import(&BulkImportRequest::new("c").files(vec![vec!["1.parquet"]]))
            }),
            case.call("get_import_progress", || api.get_import_progress(&job)),
            case.call("list_import_jobs", || {
                api.list_import_jobs(&ListImportJobsRequest::new())
            }),
            case.call("commit_import", || api.commit_import(&job)),
            case.call("abort_import", || api.abort_import(&job)),
        ];
        for outcome in outcomes {
            match outcome {
                None => self.ok += 1,
                Some(i) => self.errors[i] += 1,
            }
        }
    }
}

/// The panic payload of a failed check (whose details went to stderr).
#[derive(Debug)]
struct Failed;

struct Case<'a> {
    what: &'a str,
    seed: u64,
    index: usize,
    status: u16,
    body: &'a [u8],
    /// The body as JSON, when it is JSON.
    parsed: Option<Value>,
    /// How many `Decode` reasons were over the bound so far.
    long_reasons: &'a Cell<usize>,
}

impl Case<'_> {
    /// Calls `op`, checks its result; `None` for `Ok`, else the index of the error variant.
    fn call<T: Debug>(
        &self,
        op: &str,
        f: impl FnOnce() -> Result<ApiResponse<T>, Error>,
    ) -> Option<usize> {
        let result = catch_unwind(AssertUnwindSafe(f))
            .unwrap_or_else(|_| self.fail(op, "the operation panicked"));
        match catch_unwind(AssertUnwindSafe(|| self.check(op, result))) {
            Ok(kind) => kind,
            // A failed check: its message already names the case.
            Err(payload) if payload.is::<Failed>() => std::panic::resume_unwind(payload),
            Err(payload) => {
                let message = payload
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| payload.downcast_ref::<&str>().copied())
                    .unwrap_or("?");
                self.fail(op, &format!("printing the result panicked: {message}"))
            }
        }
    }

    fn check<T: Debug>(&self, op: &str, result: Result<ApiResponse<T>, Error>) -> Option<usize> {
        let success = (200..300).contains(&self.status);
        match result {
            Ok(reply) => {
                let _ = format!("{:?} {reply:?}", reply.data());
                let raw = reply.response();
                if !success {
                    self.fail(op, "Ok for a non-2xx status");
                }
                if raw.content() != self.body || raw.status_code() != self.status {
                    self.fail(op, "the response does not hold the reply");
                }
                let _ = raw.text();
                let json = raw.json::<Value>();
                if let (Ok(json), Some(parsed)) = (&json, &self.parsed) {
                    assert_eq!(json, parsed);
                }
                if let Some(body) = &self.parsed {
                    match body.get("code").and_then(Value::as_i64) {
                        Some(0) => {}
                        Some(200) if body.get("data").is_some_and(Value::is_object) => {}
                        code => {
                            self.fail(op, &format!("Ok although the envelope's code is {code:?}"))
                        }
                    }
                }
                None
            }
            Err(err) => {
                let text = err.to_string();
                let _ = format!("{err:?}");
                if text.is_empty() {
                    self.fail(op, "empty error text");
                }
                // A `Decode` reason may quote a value from the reply; it is cut like the rest
                // (`decode_reason_is_bounded` pins the worst cases).
                let reason = match &err {
                    Error::Decode { reason, .. } => reason.len(),
                    _ => 0,
                };
                if reason > MAX_ERROR_TEXT {
                    self.long_reasons.set(self.long_reasons.get() + 1);
                }
                if text.len() > MAX_ERROR_TEXT {
                    self.fail(
                        op,
                        &format!(
                            "error text of {} bytes (limit {MAX_ERROR_TEXT}): {}…",
                            text.len(),
                            prefix(text.as_bytes(), 300)
                        ),
                    );
                }
                if text.contains("property-test-key") {
                    self.fail(op, "the API key is in the error text");
                }
                if err.status() != Some(self.status) {
                    self.fail(op, &format!("status() is {:?}", err.status()));
                }
                match err.response() {
                    Some(raw) if raw.content() == self.body => {
                        let _ = raw.text();
                        let _ = raw.json::<Value>();
                    }
                    _ => self.fail(op, "the error does not carry the reply"),
                }
                let kind = match &err {
                    Error::Api { code, .. } => {
                        if success && *code == 0 {
                            self.fail(op, "Api error with code 0 on a 2xx reply");
                        }
                        if let Some(body) = &self.parsed {
                            let sent = body.get("code").and_then(Value::as_i64);
                            if sent != Some(*code) {
                                self.fail(op, &format!("Api code {code}, body code {sent:?}"));
                            }
                        }
                        0
                    }
                    Error::HttpStatus { .. } if !success => 1,
                    Error::Decode { .. } if success => 2,
                    other => self.fail(op, &format!("unexpected error variant: {other:?}")),
                };
                Some(kind)
            }
        }
    }

    fn fail(&self, op: &str, why: &str) -> ! {
        eprintln!(
            "{op}: {why}\n  seed {:#x} (PROPERTY_SEED), case {} ({}), HTTP {}, {} bytes: {}",
            self.seed,
            self.index,
            self.what,
            self.status,
            self.body.len(),
            prefix(self.body, 400),
        );
        std::panic::panic_any(Failed)
    }
}

/// The start of `bytes`, escaped, for failure messages.
fn prefix(bytes: &[u8], max: usize) -> String {
    let cut = &bytes[..bytes.len().min(max)];
    let mut text = format!("{:?}", String::from_utf8_lossy(cut));
    if bytes.len() > max {
        text.push('…');
    }
    text
}

#[test]
fn every_reply_is_ok_or_a_typed_error() {
    let seed = seed();
    println!("property test seed: {seed:#x} (set PROPERTY_SEED to change it)");
    let mut rng = Rng::new(seed);
    let mut h = Harness::new(seed);

    // Generated envelopes, mostly 2xx so that the typed parsers run.
    for _ in 0..3_000 {
        let body = envelope(&mut rng);
        let status = if rng.chance(75) {
            *rng.pick(&[200, 201])
        } else {
            *rng.pick(&STATUSES)
        };
        h.run("generated envelope", status, body.as_bytes());
    }

    // Every truncation of each sample.
    for sample in SAMPLES {
        for end in 0..sample.len() {
            let status = if rng.chance(80) {
                200
            } else {
                *rng.pick(&STATUSES)
            };
            h.run("truncated sample", status, &sample.as_bytes()[..end]);
        }
    }

    // Mutations of samples and of generated envelopes.
    for _ in 0..1_500 {
        let base = if rng.chance(50) {
            rng.pick(SAMPLES).to_string()
        } else {
            envelope(&mut rng)
        };
        let body = mutate(&mut rng, &base);
        let status = if rng.chance(75) {
            200
        } else {
            *rng.pick(&STATUSES)
        };
        h.run("mutated reply", status, &body);
    }

    // Deep nesting, huge numbers, very long strings, under each status.
    for body in extremes() {
        for status in [200, 201, 404, 503] {
            h.run("extreme reply", status, &body);
        }
    }

    let replies = h.cases;
    println!(
        "{replies} replies x 5 operations: {} Ok, {} Api, {} HttpStatus, {} Decode",
        h.ok, h.errors[0], h.errors[1], h.errors[2]
    );
    assert!(replies >= 5_000, "only {replies} replies");
    assert!(
        h.ok >= 1_000,
        "too few successes ({}): the generator is off",
        h.ok
    );
    assert!(h.errors.iter().all(|&n| n >= 100), "{:?}", h.errors);
}

/// A `Decode` reason quotes a wrong-typed string value (serde's `invalid value: string "…"` from
/// the `Count` / `Percent` visitors in `src/model.rs`); it is cut like a body quote, so a
/// 20,000-character `importedRows` still gives a short error.
#[test]
fn decode_reason_is_bounded() {
    let long = "x".repeat(20_000);
    let mut h = Harness::new(0);
    for field in ["count", "currentPage", "pageSize"] {
        let body = format!(r#"{{"code":0,"data":{{"records":[],"{field}":"{long}"}}}}"#);
        h.run("long string in a count", 200, body.as_bytes());
    }
    for field in ["importedRows", "totalRows", "fileSize", "progress"] {
        let body = format!(r#"{{"code":0,"data":{{"jobId":"1","{field}":"{long}"}}}}"#);
        h.run("long string in a count", 200, body.as_bytes());
    }
    assert_eq!(
        h.long_reasons.get(),
        0,
        "Decode reasons over {MAX_ERROR_TEXT} bytes"
    );
}
