//! The TCP layer of [`UreqTransport`](super::UreqTransport): ureq's own, except that a call's
//! time limit holds in every phase.
//!
//! ureq's TCP transport sets the socket's write timeout to the time left and then calls
//! `write_all`, which restarts that timeout on each partial write: a server that reads slowly
//! keeps one write going for as long as it keeps taking bytes, deadline or not. And a phase
//! that starts with no time left gets a whole second to connect. Here each write and each
//! connection attempt gets only what is left of the call's time (and each write at most the
//! per-write timeout), and a phase with nothing left ends at once with a timeout.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use ::ureq::unversioned::resolver::ResolvedSocketAddrs;
use ::ureq::unversioned::transport::time::{Duration as UreqDuration, Instant as UreqInstant};
use ::ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, ShutdownHandle,
    Transport,
};
use ::ureq::{Error, Timeout};

/// The least time given to one address of several (as ureq).
const MIN_PER_ADDRESS: Duration = Duration::from_millis(10);

/// Opens plain TCP connections; TLS and proxies are the next and previous links of the chain.
#[derive(Debug, Default)]
pub(super) struct TcpConnector;

impl<In: Transport> Connector<In> for TcpConnector {
    type Out = Either<In, TcpTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, Error> {
        if let Some(chained) = chained {
            // A proxy connection made earlier in the chain.
            return Ok(Some(Either::A(chained)));
        }
        let since = match details.now {
            UreqInstant::Exact(at) => at,
            _ => Instant::now(),
        };
        let budget = Budget::new(&details.timeout, since);
        let stream = connect(&details.addrs, &budget)?;
        if details.config.no_delay() {
            stream.set_nodelay(true)?;
        }
        let transport = TcpTransport {
            stream: Arc::new(stream),
            buffers: LazyBuffers::new(
                details.config.input_buffer_size(),
                details.config.output_buffer_size(),
            ),
            read_timeout: None,
            write_timeout: None,
        };
        (details.register_shutdown)(Arc::downgrade(&transport.stream) as Weak<dyn ShutdownHandle>)?;
        Ok(Some(Either::B(transport)))
    }
}

/// The time a phase has, counted from when it started.
struct Budget {
    /// `None`: no limit.
    end: Option<Instant>,
    reason: Timeout,
}

impl Budget {
    fn new(timeout: &NextTimeout, since: Instant) -> Budget {
        Budget {
            end: limit(timeout.after).and_then(|after| since.checked_add(after)),
            reason: timeout.reason,
        }
    }

    /// What is left (`None`: no limit).
    fn left(&self) -> Option<Duration> {
        self.end
            .map(|end| end.saturating_duration_since(Instant::now()))
    }
}

fn limit(duration: UreqDuration) -> Option<Duration> {
    match duration {
        UreqDuration::Exact(d) => Some(d),
        UreqDuration::NotHappening => None,
    }
}

/// Connects to the first of `addrs` that answers, sharing the budget between them as ureq
/// does (half to the first, a quarter to the second, ...), never beyond it.
fn connect(addrs: &ResolvedSocketAddrs, budget: &Budget) -> Result<TcpStream, Error> {
    let total = budget.left();
    let mut share = 1.0 / (2.0 * (1.0 - 0.5_f64.powi(addrs.len() as i32)));
    let mut last_err = None;
    for addr in addrs.iter() {
        let left = budget.left();
        if left.is_some_and(|left| left.is_zero()) {
            return Err(Error::Timeout(budget.reason));
        }
        let per_address = match (total, left) {
            (Some(total), Some(left)) => Some(
                Duration::try_from_secs_f64(total.as_secs_f64() * share)
                    .unwrap_or(total)
                    .max(MIN_PER_ADDRESS)
                    .min(left),
            ),
            _ => None,
        };
        share /= 2.0;
        let attempt = match per_address {
            Some(timeout) => TcpStream::connect_timeout(addr, timeout),
            None => TcpStream::connect(addr),
        };
        match attempt {
            Ok(stream) => return Ok(stream),
            Err(e) if is_timeout(&e) => {
                if budget.left().is_some_and(|left| left.is_zero()) {
                    return Err(Error::Timeout(budget.reason));
                }
                last_err = Some(Error::Timeout(Timeout::Connect));
            }
            Err(e) if concerns_the_address(&e) => last_err = Some(Error::Io(e)),
            Err(e) => return Err(Error::Io(e)),
        }
    }
    Err(last_err.unwrap_or_else(|| {
        Error::Io(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            "no address to connect to",
        ))
    }))
}

/// A failure that concerns only the address tried: the next one may work (as ureq).
fn concerns_the_address(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::NetworkDown
            | io::ErrorKind::AddrNotAvailable
    )
}

/// One TCP connection.
pub(super) struct TcpTransport {
    /// Shared (weakly) with the agent, which shuts it down on `Agent::shutdown`.
    stream: Arc<TcpStream>,
    buffers: LazyBuffers,
    /// The timeouts set on the socket, to skip setting them again.
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

impl fmt::Debug for TcpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpTransport")
            .field("peer", &self.stream.peer_addr().ok())
            .finish_non_exhaustive()
    }
}

impl Transport for TcpTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        let output = &self.buffers.output()[..amount];
        write_within(&*self.stream, output, &timeout, &mut self.write_timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        let input = self.buffers.input_append_buf();
        let read = read_within(&*self.stream, input, &timeout, &mut self.read_timeout)?;
        self.buffers.input_appended(read);
        Ok(read > 0)
    }

    fn is_open(&mut self) -> bool {
        // Open means nothing to read yet: no close, no reset, no bytes nobody asked for.
        let probe = || -> io::Result<bool> {
            self.stream.set_nonblocking(true)?;
            let open = matches!(
                self.stream.peek(&mut [0]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock
            );
            self.stream.set_nonblocking(false)?;
            Ok(open)
        };
        probe().unwrap_or(false)
    }
}

/// What the read and write loops need of a socket (a stand-in in the tests).
trait Socket {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()>;
    fn read(&self, buf: &mut [u8]) -> io::Result<usize>;
    fn write(&self, buf: &[u8]) -> io::Result<usize>;
}

impl Socket for TcpStream {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, timeout)
    }
    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_write_timeout(self, timeout)
    }
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        Read::read(&mut &*self, buf)
    }
    fn write(&self, buf: &[u8]) -> io::Result<usize> {
        Write::write(&mut &*self, buf)
    }
}

/// The limit on the next single read or write, and the timeout to report if it passes: what is
/// left of `budget`, capped by the per-I/O timeout (which restarts for each read or write).
fn next_limit(
    budget: &Budget,
    per_io: Option<UreqDuration>,
    per_io_reason: Timeout,
) -> (Option<Duration>, Timeout) {
    let left = budget.left();
    match (left, per_io.and_then(limit)) {
        (Some(left), Some(per_io)) if per_io < left => (Some(per_io), per_io_reason),
        (None, Some(per_io)) => (Some(per_io), per_io_reason),
        (left, _) => (left, budget.reason),
    }
}

/// Sets a socket timeout unless it is set already. A zero limit is a timeout: sockets take
/// zero for "none".
fn set_timeout(
    limit: Option<Duration>,
    reason: Timeout,
    current: &mut Option<Duration>,
    set: impl FnOnce(Option<Duration>) -> io::Result<()>,
) -> Result<(), Error> {
    if limit.is_some_and(|limit| limit.is_zero()) {
        return Err(Error::Timeout(reason));
    }
    if limit != *current {
        set(limit)?;
        *current = limit;
    }
    Ok(())
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
    )
}

/// Writes all of `data` within `timeout`: the time left is counted from the first write, so a
/// server that takes a few bytes at a time cannot stretch it.
fn write_within(
    socket: &impl Socket,
    mut data: &[u8],
    timeout: &NextTimeout,
    current: &mut Option<Duration>,
) -> Result<(), Error> {
    let budget = Budget::new(timeout, Instant::now());
    while !data.is_empty() {
        let (limit, reason) = next_limit(&budget, timeout.per_write, Timeout::PerWrite);
        set_timeout(limit, reason, current, |t| socket.set_write_timeout(t))?;
        match socket.write(data) {
            Ok(0) => return Err(Error::Io(io::ErrorKind::WriteZero.into())),
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if is_timeout(&e) => return Err(Error::Timeout(reason)),
            Err(e) => return Err(Error::Io(e)),
        }
    }
    Ok(())
}

/// One read, within `timeout` (a read interrupted by a signal is tried again in the time left).
fn read_within(
    socket: &impl Socket,
    buf: &mut [u8],
    timeout: &NextTimeout,
    current: &mut Option<Duration>,
) -> Result<usize, Error> {
    let budget = Budget::new(timeout, Instant::now());
    loop {
        let (limit, reason) = next_limit(&budget, timeout.per_read, Timeout::PerRead);
        set_timeout(limit, reason, current, |t| socket.set_read_timeout(t))?;
        match socket.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if is_timeout(&e) => return Err(Error::Timeout(reason)),
            Err(e) => return Err(Error::Io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// A socket that takes one byte per write after 10 ms, honouring its write timeout as a
    /// kernel does (a write that makes progress within the timeout succeeds).
    struct Trickle {
        timeout: Cell<Option<Duration>>,
        writes: Cell<usize>,
    }

    impl Socket for Trickle {
        fn set_read_timeout(&self, _: Option<Duration>) -> io::Result<()> {
            Ok(())
        }
        fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
            self.timeout.set(timeout);
            Ok(())
        }
        fn read(&self, _: &mut [u8]) -> io::Result<usize> {
            Ok(0)
        }
        fn write(&self, buf: &[u8]) -> io::Result<usize> {
            let step = Duration::from_millis(10);
            match self.timeout.get() {
                Some(t) if t < step => {
                    std::thread::sleep(t);
                    Err(io::ErrorKind::WouldBlock.into())
                }
                _ => {
                    std::thread::sleep(step);
                    self.writes.set(self.writes.get() + 1);
                    Ok(buf.len().min(1))
                }
            }
        }
    }

    fn next_timeout(after: Duration, per_write: Option<Duration>) -> NextTimeout {
        NextTimeout {
            after: UreqDuration::Exact(after),
            reason: Timeout::Global,
            per_read: None,
            per_write: per_write.map(UreqDuration::Exact),
        }
    }

    #[test]
    fn partial_writes_do_not_stretch_the_time_left() {
        // 1 000 bytes at one per 10 ms would take 10 s; 200 ms are left.
        let socket = Trickle {
            timeout: Cell::new(None),
            writes: Cell::new(0),
        };
        let started = Instant::now();
        let err = write_within(
            &socket,
            &[0; 1000],
            &next_timeout(Duration::from_millis(200), Some(Duration::from_secs(20))),
            &mut None,
        )
        .unwrap_err();
        let took = started.elapsed();
        assert!(matches!(err, Error::Timeout(Timeout::Global)), "{err:?}");
        assert!(took < Duration::from_millis(600), "{took:?}");
        assert!(socket.writes.get() < 30, "{}", socket.writes.get());
    }

    #[test]
    fn the_per_write_timeout_restarts_for_each_write() {
        // Each write takes 10 ms, under the 50 ms per-write timeout: all 20 bytes go.
        let socket = Trickle {
            timeout: Cell::new(None),
            writes: Cell::new(0),
        };
        write_within(
            &socket,
            &[0; 20],
            &next_timeout(Duration::from_secs(10), Some(Duration::from_millis(50))),
            &mut None,
        )
        .unwrap();
        assert_eq!(socket.writes.get(), 20);
    }

    #[test]
    fn nothing_left_is_a_timeout_without_io() {
        let socket = Trickle {
            timeout: Cell::new(None),
            writes: Cell::new(0),
        };
        let err = write_within(
            &socket,
            &[0; 10],
            &next_timeout(Duration::ZERO, None),
            &mut None,
        )
        .unwrap_err();
        assert!(matches!(err, Error::Timeout(Timeout::Global)), "{err:?}");
        assert_eq!(socket.writes.get(), 0);
        let err = read_within(
            &socket,
            &mut [0; 10],
            &next_timeout(Duration::ZERO, None),
            &mut None,
        )
        .unwrap_err();
        assert!(matches!(err, Error::Timeout(Timeout::Global)), "{err:?}");
    }
}
