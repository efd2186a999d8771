//! Name resolution for [`UreqTransport`](super::UreqTransport), with its timeout, and without
//! a thread per call.
//!
//! ureq looks the host up before every call, pooled connection or not, and with a resolve
//! timeout it runs each lookup on a new thread (the system resolver cannot be interrupted).
//! This resolver does what the call needs instead:
//!
//! * an IP address needs no lookup at all;
//! * a name is looked up once and its addresses kept for [`KEEP_FOR`] (as long as ureq keeps
//!   an idle connection to it), so the calls that reuse a pooled connection look nothing up;
//! * a lookup still runs on its own thread when it has a time limit, so the limit holds, but
//!   calls that need the same name at the same time share that one lookup (a resolver that
//!   hangs costs one thread per name, not one per call);
//! * a failed lookup is not kept: the next call asks again.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ::ureq::config::Config;
use ::ureq::http::Uri;
use ::ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ::ureq::unversioned::transport::NextTimeout;
use ::ureq::Error;

/// How long the addresses of a name are used before it is looked up again: ureq's default
/// `max_idle_age`, the longest an idle pooled connection to it is reused.
pub(super) const KEEP_FOR: Duration = Duration::from_secs(15);

/// The most names kept.
const MAX_NAMES: usize = 64;

/// Looks `host:port` up (the system resolver, or a stand-in in tests).
pub(super) type Lookup = dyn Fn(&str) -> io::Result<Vec<SocketAddr>> + Send + Sync;

/// A name that could not be resolved. `UreqTransport` classes it as a connect failure: the
/// request cannot have been sent.
#[derive(Debug)]
pub(super) struct NameNotResolved {
    name: String,
    reason: String,
}

impl fmt::Display for NameNotResolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot resolve {}: {}", self.name, self.reason)
    }
}

impl std::error::Error for NameNotResolved {}

/// The resolver; clones share the names looked up.
#[derive(Clone)]
pub(super) struct CachingResolver {
    shared: Arc<Shared>,
}

struct Shared {
    lookup: Box<Lookup>,
    names: Mutex<Vec<Name>>,
}

/// A name (host and port) and where its lookup stands.
struct Name {
    host: String,
    port: u16,
    state: State,
}

enum State {
    Resolved {
        addrs: Vec<SocketAddr>,
        at: Instant,
    },
    /// A lookup is running; callers wait for it.
    Pending(Arc<Pending>),
}

/// What a lookup found: the addresses, or why there are none.
type Outcome = Result<Vec<SocketAddr>, (io::ErrorKind, String)>;

/// The outcome of a lookup in flight, for every call that waits on it.
#[derive(Default)]
struct Pending {
    outcome: Mutex<Option<Outcome>>,
    done: Condvar,
}

impl fmt::Debug for CachingResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CachingResolver")
    }
}

impl Default for CachingResolver {
    fn default() -> Self {
        Self::with_lookup(|name| name.to_socket_addrs().map(Iterator::collect))
    }
}

impl CachingResolver {
    /// A resolver that looks names up with `lookup`.
    pub(super) fn with_lookup(
        lookup: impl Fn(&str) -> io::Result<Vec<SocketAddr>> + Send + Sync + 'static,
    ) -> Self {
        CachingResolver {
            shared: Arc::new(Shared {
                lookup: Box::new(lookup),
                names: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The addresses of `host` (a name, not an IP address) and `port`, within `limit`.
    fn addresses(
        &self,
        host: &str,
        port: u16,
        limit: Option<Duration>,
        reason: ::ureq::Timeout,
    ) -> Result<Vec<SocketAddr>, Error> {
        let started = Instant::now();
        if limit.is_some_and(|limit| limit.is_zero()) {
            return Err(Error::Timeout(reason));
        }
        let (pending, start) = {
            let mut names = self.shared.names();
            let found = names
                .iter()
                .position(|name| name.port == port && name.host == host);
            match found.map(|i| &names[i].state) {
                Some(State::Resolved { addrs, at }) if at.elapsed() < KEEP_FOR => {
                    return Ok(addrs.clone());
                }
                Some(State::Pending(pending)) => (pending.clone(), false),
                _ => {
                    let pending = Arc::new(Pending::default());
                    let name = Name {
                        host: host.to_string(),
                        port,
                        state: State::Pending(pending.clone()),
                    };
                    match found {
                        Some(i) => names[i] = name,
                        None => {
                            if names.len() >= MAX_NAMES {
                                prune(&mut names);
                            }
                            names.push(name);
                        }
                    }
                    (pending, true)
                }
            }
        };
        // What is looked up, and what an error names.
        let key = format!("{host}:{port}");
        // Started with the names unlocked: the lookup records its outcome there.
        if start {
            self.start(key.clone(), pending.clone(), limit.is_some());
        }
        match pending.wait(started, limit) {
            None => Err(Error::Timeout(reason)),
            Some(Ok(addrs)) => Ok(addrs),
            Some(Err((kind, why))) => Err(Error::Io(io::Error::new(
                kind,
                NameNotResolved {
                    name: key,
                    reason: why,
                },
            ))),
        }
    }

    /// Runs the lookup of `key`: on a thread when the caller has a time limit to keep, else
    /// right here.
    fn start(&self, key: String, pending: Arc<Pending>, on_a_thread: bool) {
        let shared = self.shared.clone();
        let run = move || {
            let outcome = (shared.lookup)(&key);
            shared.finish(&pending, outcome);
        };
        if on_a_thread {
            // If no thread can be started, the lookup runs here, without its time limit.
            let run = Arc::new(Mutex::new(Some(run)));
            let handle = run.clone();
            let spawned = std::thread::Builder::new()
                .name("milvus-bulk-import resolve".into())
                .spawn(move || take_and_run(&handle));
            if spawned.is_ok() {
                return;
            }
            take_and_run(&run);
        } else {
            run();
        }
    }
}

fn take_and_run(run: &Mutex<Option<impl FnOnce()>>) {
    let run = run.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(run) = run {
        run();
    }
}

impl Shared {
    fn names(&self) -> MutexGuard<'_, Vec<Name>> {
        self.names.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records the outcome of the lookup `pending` stands for and wakes the calls waiting for
    /// it. (Each lookup's `Pending` is made for one name and kept by that name only, so it
    /// finds the name.)
    fn finish(&self, pending: &Arc<Pending>, outcome: io::Result<Vec<SocketAddr>>) {
        let outcome = match outcome {
            Ok(addrs) if addrs.is_empty() => Err((
                io::ErrorKind::NotFound,
                "the name has no addresses".to_string(),
            )),
            Ok(addrs) => Ok(addrs),
            Err(err) => Err((err.kind(), err.to_string())),
        };
        {
            let mut names = self.names();
            if let Some(i) = names.iter().position(
                |name| matches!(&name.state, State::Pending(p) if Arc::ptr_eq(p, pending)),
            ) {
                match &outcome {
                    Ok(addrs) => {
                        names[i].state = State::Resolved {
                            addrs: addrs.clone(),
                            at: Instant::now(),
                        }
                    }
                    Err(_) => {
                        names.swap_remove(i);
                    }
                }
            }
        }
        *pending.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
        pending.done.notify_all();
    }
}

impl Pending {
    /// Waits for the outcome until `limit` from `started` has passed (`None`: it has).
    fn wait(&self, started: Instant, limit: Option<Duration>) -> Option<Outcome> {
        let mut outcome = self.outcome.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(outcome) = &*outcome {
                return Some(outcome.clone());
            }
            outcome = match limit {
                None => self.done.wait(outcome).unwrap_or_else(|e| e.into_inner()),
                Some(limit) => {
                    let left = limit.saturating_sub(started.elapsed());
                    if left.is_zero() {
                        return None;
                    }
                    self.done
                        .wait_timeout(outcome, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
    }
}

/// Makes room: drops the names whose addresses are stale, then, if that is not enough, every
/// resolved one (lookups in flight stay: calls wait on them).
fn prune(names: &mut Vec<Name>) {
    names.retain(|name| match &name.state {
        State::Resolved { at, .. } => at.elapsed() < KEEP_FOR,
        State::Pending(_) => true,
    });
    if names.len() >= MAX_NAMES {
        names.retain(|name| matches!(name.state, State::Pending(_)));
    }
}

/// The port of `uri`, or its scheme's.
fn port(uri: &Uri) -> Option<u16> {
    let authority = uri.authority()?;
    authority.port_u16().or(match uri.scheme_str()? {
        "http" => Some(80),
        "https" => Some(443),
        "socks4" | "socks4a" | "socks5" | "socks5h" => Some(1080),
        _ => None,
    })
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, Error> {
        let (Some(authority), Some(port)) = (uri.authority(), port(uri)) else {
            return Err(Error::BadUri(format!("{uri}: no host or port")));
        };
        let host = authority.host();
        let literal = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let mut resolved = self.empty();
        if let Ok(ip) = literal.parse::<IpAddr>() {
            let addr = SocketAddr::new(ip, port);
            resolved.extend(config.ip_family().keep_wanted(std::iter::once(addr)));
        } else {
            let limit = (!timeout.after.is_not_happening()).then_some(*timeout.after);
            let addrs = self.addresses(host, port, limit, timeout.reason)?;
            resolved.extend(config.ip_family().keep_wanted(addrs.into_iter()));
        }
        if resolved.is_empty() {
            return Err(Error::HostNotFound);
        }
        Ok(resolved)
    }
}

/// `ArrayVec` has `push`, not `Extend`.
trait ExtendAddrs {
    fn extend(&mut self, addrs: impl Iterator<Item = SocketAddr>);
}

impl ExtendAddrs for ResolvedSocketAddrs {
    fn extend(&mut self, addrs: impl Iterator<Item = SocketAddr>) {
        for addr in addrs {
            if self.try_push(addr).is_err() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn timeout(after: Option<Duration>) -> NextTimeout {
        NextTimeout {
            after: match after {
                Some(d) => ::ureq::unversioned::transport::time::Duration::Exact(d),
                None => ::ureq::unversioned::transport::time::Duration::NotHappening,
            },
            reason: ::ureq::Timeout::Resolve,
            per_read: None,
            per_write: None,
        }
    }

    fn counting(
        delay: Duration,
        result: io::Result<Vec<SocketAddr>>,
    ) -> (CachingResolver, Arc<AtomicUsize>) {
        let count = Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        let result = result.map_err(|e| (e.kind(), e.to_string()));
        let resolver = CachingResolver::with_lookup(move |_| {
            seen.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(delay);
            result
                .clone()
                .map_err(|(kind, text)| io::Error::new(kind, text))
        });
        (resolver, count)
    }

    fn resolve(
        resolver: &CachingResolver,
        url: &str,
        limit: Option<Duration>,
    ) -> Result<ResolvedSocketAddrs, Error> {
        resolver.resolve(&url.parse().unwrap(), &Config::default(), timeout(limit))
    }

    fn local(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn ip_addresses_are_not_looked_up() {
        let (resolver, count) = counting(Duration::ZERO, Ok(vec![local(1)]));
        for _ in 0..100 {
            let addrs = resolve(
                &resolver,
                "http://127.0.0.1:19530/x",
                Some(Duration::from_secs(5)),
            );
            assert_eq!(&addrs.unwrap()[..], &[local(19530)]);
        }
        let addrs = resolve(&resolver, "https://[::1]/", Some(Duration::from_secs(5))).unwrap();
        assert_eq!(&addrs[..], &["[::1]:443".parse::<SocketAddr>().unwrap()]);
        assert_eq!(count.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_name_is_looked_up_once_while_its_addresses_are_kept() {
        let (resolver, count) = counting(Duration::ZERO, Ok(vec![local(19530)]));
        for _ in 0..100 {
            let addrs = resolve(
                &resolver,
                "http://milvus.test:19530",
                Some(Duration::from_secs(5)),
            );
            assert_eq!(&addrs.unwrap()[..], &[local(19530)]);
        }
        assert_eq!(count.load(Ordering::SeqCst), 1);
        // Another port is another name.
        resolve(&resolver, "http://milvus.test:19531", None).unwrap();
        assert_eq!(count.load(Ordering::SeqCst), 2);
        // A clone shares what was looked up.
        resolve(&resolver.clone(), "http://milvus.test:19530", None).unwrap();
        assert_eq!(count.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_lookup_that_hangs_ends_at_the_time_limit_and_calls_share_it() {
        let (resolver, count) = counting(Duration::from_secs(3), Ok(vec![local(19530)]));
        let started = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    let err = resolve(
                        &resolver,
                        "http://slow.test",
                        Some(Duration::from_millis(200)),
                    )
                    .unwrap_err();
                    assert!(
                        matches!(err, Error::Timeout(::ureq::Timeout::Resolve)),
                        "{err:?}"
                    );
                });
            }
        });
        let took = started.elapsed();
        assert!(took < Duration::from_millis(1500), "{took:?}");
        assert_eq!(
            count.load(Ordering::SeqCst),
            1,
            "one lookup for eight calls"
        );
    }

    #[test]
    fn no_time_left_is_a_timeout_before_any_lookup() {
        let (resolver, count) = counting(Duration::ZERO, Ok(vec![local(1)]));
        let err = resolve(&resolver, "http://milvus.test", Some(Duration::ZERO)).unwrap_err();
        assert!(
            matches!(err, Error::Timeout(::ureq::Timeout::Resolve)),
            "{err:?}"
        );
        assert_eq!(count.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_failed_lookup_is_not_kept_and_names_the_host() {
        let (resolver, count) = counting(
            Duration::ZERO,
            Err(io::Error::other("Name or service not known")),
        );
        for _ in 0..2 {
            let err = resolve(
                &resolver,
                "http://nowhere.test:1",
                Some(Duration::from_secs(5)),
            )
            .unwrap_err();
            let Error::Io(io) = &err else {
                panic!("{err:?}")
            };
            let inner = io.get_ref().unwrap();
            assert!(inner.is::<NameNotResolved>(), "{err:?}");
            assert_eq!(
                inner.to_string(),
                "cannot resolve nowhere.test:1: Name or service not known"
            );
        }
        assert_eq!(count.load(Ordering::SeqCst), 2);
    }
}
