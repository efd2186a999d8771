//! [`ChildGuard`]: a child process that is killed and reaped when dropped (so a failing
//! assertion never leaves one running), and waited for with a time limit.

use std::ops::{Deref, DerefMut};
use std::process::{Child, Command, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

/// A child process, killed and reaped on drop. Derefs to the [`Child`] (its pipes, its id).
pub struct ChildGuard(Child);

impl ChildGuard {
    /// Spawns `command`; panics if it cannot start.
    pub fn spawn(command: &mut Command) -> ChildGuard {
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {:?}: {e}", command.get_program()));
        ChildGuard(child)
    }

    /// Waits up to `limit` for the process to exit on its own; kills and reaps it and returns
    /// `None` otherwise.
    pub fn wait(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.0.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                self.kill();
                return None;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Kills the process (if it is still running) and reaps it.
    pub fn kill(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

impl Deref for ChildGuard {
    type Target = Child;

    fn deref(&self) -> &Child {
        &self.0
    }
}

impl DerefMut for ChildGuard {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.kill();
    }
}
