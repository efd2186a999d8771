//! `TempDir`: a fresh path under the system temp dir, unique per process and call, removed on
//! drop (also when a test panics); and [`files_under`], what a directory holds.

#[cfg(feature = "writer")]
use std::path::Path;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct TempDir(PathBuf);

impl TempDir {
    /// A path that does not exist yet (for code that must create it).
    pub fn new(name: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("mbi-test-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }

    /// The same, created.
    pub fn created(name: &str) -> TempDir {
        let dir = TempDir::new(name);
        std::fs::create_dir_all(&dir.0).expect("create a temp dir");
        dir
    }

    #[cfg(feature = "writer")]
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The path of `name` in this directory (which need not exist).
    #[cfg(feature = "ureq")]
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Writes `bytes` to `name` (relative; this directory and parent directories created) and
    /// returns its whole path.
    #[cfg(feature = "ureq")]
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).expect("create a temp dir");
        std::fs::write(&path, bytes).expect("write a test file");
        path
    }

    /// [`TempDir::write`], returning the whole path as a string (for a command line).
    #[cfg(all(feature = "cli", feature = "emulator"))] // for cli_writer only
    pub fn write_arg(&self, name: &str, bytes: impl AsRef<[u8]>) -> String {
        self.write(name, bytes).to_string_lossy().into_owned()
    }

    /// [`TempDir::write`], returning `name` (for the emulator, which reads files relative to
    /// this directory).
    #[cfg(all(feature = "emulator", feature = "ureq"))] // for emulator_files only
    pub fn file(&self, name: &str, bytes: impl AsRef<[u8]>) -> String {
        self.write(name, bytes);
        name.to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every file under `dir`, relative to it with `/` separators, sorted (nothing when `dir` does
/// not exist).
#[cfg(all(feature = "writer", feature = "ureq"))]
pub fn files_under(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, base, out);
            } else if let Ok(rel) = path.strip_prefix(base) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}
