//! Small helpers the emulator launchers share: free ports on 127.0.0.1 and query encoding.

use std::net::{Ipv4Addr, TcpListener};
use std::time::{Duration, Instant};

/// How long a stopped server's port may take to become free again.
const STOP_WAIT: Duration = Duration::from_secs(10);

/// A port of 127.0.0.1 free right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a free port");
    listener.local_addr().expect("listener address").port()
}

/// Wait until `port` can be bound (a server that just stopped); returns it.
pub fn wait_port_free(port: u16) -> u16 {
    assert!(wait_port_bindable(port), "port {port} is still busy");
    port
}

/// Whether 127.0.0.1:`port` can be bound within `STOP_WAIT`.
pub fn wait_port_bindable(port: u16) -> bool {
    let deadline = Instant::now() + STOP_WAIT;
    while TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_err() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

/// Percent-encode a query value (everything but unreserved characters).
pub fn url_encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
