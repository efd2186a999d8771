//! `TempDir`: a fresh path under the system temp dir, unique per process and call, removed on
//! drop (also when a test panics).

use std::path::{Path, PathBuf};
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

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `bytes` to `name` (relative, parent directories created) and returns `name`.
    #[cfg(all(feature = "emulator", feature = "ureq"))] // for emulator_files only
    pub fn file(&self, name: &str, bytes: impl AsRef<[u8]>) -> String {
        let path = self.0.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
        name.to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
