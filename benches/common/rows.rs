//! The rows the `writer` benchmarks write: `{id: Int64 (primary key), vector: FloatVector(768),
//! title: VarChar(256), score: Float}`, from a deterministic xorshift64* generator (the same
//! rows on every run, no `rand` dependency). Included with `#[path]` by `writer` and
//! `writer_memory`, so the benchmarks without the `writer` feature do not see it.

#![allow(dead_code)] // each benchmark uses its own subset

use serde::Serialize;

pub const DIM: usize = 768;

/// Words the titles are made of.
const WORDS: [&str; 16] = [
    "vector",
    "search",
    "milvus",
    "import",
    "bulk",
    "parquet",
    "arrow",
    "index",
    "query",
    "rust",
    "float",
    "schema",
    "column",
    "segment",
    "collection",
    "embedding",
];

/// xorshift64* (Vigna): fast, deterministic, good enough for benchmark data.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        XorShift(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [-1, 1), 24 random bits.
    pub fn f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u32 << 23) as f32 - 1.0
    }

    /// A title of 20 to 40 ASCII characters: words separated by spaces.
    pub fn title(&mut self) -> String {
        let len = 20 + (self.next_u64() % 21) as usize;
        let mut t = String::with_capacity(len + 16);
        while t.len() < len {
            if !t.is_empty() {
                t.push(' ');
            }
            t.push_str(WORDS[(self.next_u64() % WORDS.len() as u64) as usize]);
        }
        t.truncate(len);
        t
    }
}

/// One row, as a user's `#[derive(Serialize)]` struct.
#[derive(Serialize, Clone)]
pub struct Row {
    pub id: i64,
    pub vector: Vec<f32>,
    pub title: String,
    pub score: f32,
}

/// One row borrowing its vector (for generating rows on the fly without an allocation each).
#[derive(Serialize)]
pub struct RowRef<'a> {
    pub id: i64,
    pub vector: &'a [f32],
    pub title: &'a str,
    pub score: f32,
}

/// Fills `vector` (of length [`DIM`]) and returns `(title, score)` for row `id`.
pub fn fill_row(rng: &mut XorShift, vector: &mut [f32]) -> (String, f32) {
    for x in vector.iter_mut() {
        *x = rng.f32();
    }
    let title = rng.title();
    let score = rng.f32() * 100.0;
    (title, score)
}

/// `n` rows, generated from `seed`.
pub fn rows(n: usize, seed: u64) -> Vec<Row> {
    let mut rng = XorShift::new(seed);
    (0..n)
        .map(|i| {
            let mut vector = vec![0.0f32; DIM];
            let (title, score) = fill_row(&mut rng, &mut vector);
            Row {
                id: i as i64,
                vector,
                title,
                score,
            }
        })
        .collect()
}

/// The same rows as columns: ids, vectors flattened (`DIM` per row), titles, scores.
pub struct Columns {
    pub ids: Vec<i64>,
    pub vectors: Vec<f32>,
    pub titles: Vec<String>,
    pub scores: Vec<f32>,
}

pub fn columns(rows: &[Row]) -> Columns {
    let mut vectors = Vec::with_capacity(rows.len() * DIM);
    for r in rows {
        vectors.extend_from_slice(&r.vector);
    }
    Columns {
        ids: rows.iter().map(|r| r.id).collect(),
        vectors,
        titles: rows.iter().map(|r| r.title.clone()).collect(),
        scores: rows.iter().map(|r| r.score).collect(),
    }
}

/// pymilvus's size estimate of a row (what `chunk_size` and the row-group size are based on):
/// 8 for the Int64, 4·dim for the vector, characters of the title, 4 for the Float.
pub fn pymilvus_row_size(title: &str) -> u64 {
    8 + 4 * DIM as u64 + title.chars().count() as u64 + 4
}
