//! Binding the listening socket and telling the operator where clients can reach it.

use socket2::{Domain, SockRef, Socket, TcpKeepalive, Type};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::time::Duration;

/// Pending connections the kernel holds before `accept`: a whole lab may start at once.
const BACKLOG: i32 = 1024;

/// Most bytes the kernel holds unsent for one client (`TCP_NOTSENT_LOWAT`): the rest waits in
/// the client's outbox, where the output budget counts it.
pub const KERNEL_UNSENT: u32 = 16 * 1024;

/// Listens on `port` on every address, IPv6 and IPv4 on one socket where the system allows,
/// IPv4 only where IPv6 is off.
///
/// # Errors
/// The bind error, e.g. `AddrInUse`.
pub fn bind(port: u16) -> io::Result<TcpListener> {
    match bind_on(SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port)) {
        Ok(listener) => Ok(listener),
        Err(err) if err.kind() == io::ErrorKind::AddrInUse => Err(err),
        Err(_) => bind_on(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port)),
    }
}

fn bind_on(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    if addr.is_ipv6() {
        socket.set_only_v6(false)?;
    }
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

/// Sets the options every client socket needs on the listener itself: Linux copies them to
/// each accepted socket, which saves five system calls per connection.
///
/// - `TCP_NODELAY`: a chat line goes out at once.
/// - Keepalive (20 s idle, 4 probes 5 s apart) and `TCP_USER_TIMEOUT` 40 s: a client host that
///   vanishes without a FIN is noticed in about 40 seconds, whether or not data is waiting for
///   it (keepalive alone stays silent while data is unacknowledged).
/// - `TCP_NOTSENT_LOWAT` [`KERNEL_UNSENT`]: the kernel takes no more than 16 KiB beyond what is
///   in flight, so a client that stops reading costs the kernel that much from the start (not
///   the several MiB autotuning would grow its send buffer to), and the rest of its backlog
///   waits where the output budget sees it.
///
/// # Errors
/// The failing `setsockopt`.
pub fn set_client_options(listener: &TcpListener) -> io::Result<()> {
    let socket = SockRef::from(listener);
    socket.set_nodelay(true)?;
    let keepalive = TcpKeepalive::new()
        .with_time(Duration::from_secs(20))
        .with_interval(Duration::from_secs(5))
        .with_retries(4);
    socket.set_tcp_keepalive(&keepalive)?;
    socket.set_tcp_user_timeout(Some(Duration::from_secs(40)))?;
    socket2_06::SockRef::from(listener).set_tcp_notsent_lowat(KERNEL_UNSENT)
}

/// The addresses of this machine that clients can use: the LAN addresses students need first
/// (IPv4 before IPv6), loopback last.
pub fn addresses(listener: &TcpListener) -> Vec<IpAddr> {
    let dual_stack = listener.local_addr().is_ok_and(|a| a.is_ipv6());
    let mut found: Vec<IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|iface| iface.ip())
        .filter(|ip| dual_stack || ip.is_ipv4())
        .filter(|ip| !matches!(ip, IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80))
        .collect();
    common::discovery::order_addresses(&mut found);
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpStream;

    /// The options set on the listener are those of every accepted socket (Linux copies
    /// them), the kernel's bound on unsent bytes included.
    #[test]
    fn accepted_sockets_inherit_the_client_options() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        set_client_options(&listener).unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        let socket = socket2_06::SockRef::from(&accepted);
        assert_eq!(socket.tcp_notsent_lowat().unwrap(), KERNEL_UNSENT);
        assert!(socket.tcp_nodelay().unwrap());
        assert_eq!(
            socket.tcp_user_timeout().unwrap(),
            Some(Duration::from_secs(40))
        );
    }
}
