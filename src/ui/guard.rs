//! The checks every request to `mlx ui` passes before it reaches a route: its Host header must
//! name the bound address (a DNS-rebinding page names its own host), and a write (any method
//! but GET and HEAD) must carry the per-process token the served page holds, come from the
//! page's own origin, and send JSON.

use std::net::SocketAddr;

use hyper::Request;
use hyper::header::{CONTENT_TYPE, HOST, HeaderMap, ORIGIN};

/// The header a write carries the token in.
pub const TOKEN_HEADER: &str = "x-mlx-token";

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub status: u16,
    pub message: String,
}

fn refuse(status: u16, message: impl Into<String>) -> Refused {
    Refused { status, message: message.into() }
}

pub struct Guard {
    /// Host header values accepted (lowercase); empty: any (bound to a wildcard address).
    hosts: Vec<String>,
}

impl Guard {
    pub fn new(addr: SocketAddr) -> Guard {
        Guard { hosts: accepted_hosts(addr) }
    }

    pub fn check<B>(&self, req: &Request<B>, token: &str) -> Result<(), Refused> {
        let headers = req.headers();
        let host = header(headers, HOST.as_str())
            .ok_or_else(|| refuse(400, "the request has no Host header"))?;
        let host = host.to_ascii_lowercase();
        if !self.hosts.is_empty() && !self.hosts.contains(&host) {
            return Err(refuse(403, format!("this server does not answer for host {host:?}")));
        }
        let method = req.method();
        if method == hyper::Method::GET || method == hyper::Method::HEAD {
            return Ok(());
        }
        if let Some(origin) = header(headers, ORIGIN.as_str())
            && !origin.eq_ignore_ascii_case(&format!("http://{host}"))
        {
            return Err(refuse(403, format!("writes from another origin ({origin}) are refused")));
        }
        if let Some(site) = header(headers, "sec-fetch-site")
            && !matches!(site, "same-origin" | "none")
        {
            return Err(refuse(403, format!("writes from a {site} page are refused")));
        }
        match header(headers, TOKEN_HEADER) {
            Some(given) if same(given.as_bytes(), token.as_bytes()) => {}
            Some(_) => return Err(refuse(403, "the write token is wrong (reload the page)")),
            None => return Err(refuse(403, "a write needs the page's token (X-Mlx-Token)")),
        }
        if method == hyper::Method::POST
            && !header(headers, CONTENT_TYPE.as_str()).is_some_and(|t| {
                t.split(';').next().is_some_and(|t| t.trim() == "application/json")
            })
        {
            return Err(refuse(415, "a write sends JSON (Content-Type: application/json)"));
        }
        Ok(())
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Compare without stopping at the first difference (the time taken tells nothing).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// 128 random bits from the system, as hex.
pub fn new_token() -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    fs_err::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Host header values that name a server listening on `addr` (lowercase); empty: any (a
/// wildcard address). Browsers leave the default port out of the Host header.
pub(crate) fn accepted_hosts(addr: SocketAddr) -> Vec<String> {
    let port = addr.port();
    let mut hosts = Vec::new();
    if !addr.ip().is_unspecified() {
        hosts.push(addr.to_string().to_ascii_lowercase());
        if addr.ip().is_loopback() {
            for name in ["localhost", "127.0.0.1", "[::1]"] {
                hosts.push(format!("{name}:{port}"));
            }
        }
    }
    if port == 80 {
        let bare: Vec<String> =
            hosts.iter().filter_map(|h| h.strip_suffix(":80").map(str::to_owned)).collect();
        hosts.extend(bare);
    }
    hosts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, headers: &[(&str, &str)]) -> Request<()> {
        let mut b = Request::builder().method(method).uri("/api/x");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).expect("a valid request")
    }

    #[test]
    fn hosts_other_than_the_bound_address_are_refused() {
        let g = Guard::new("127.0.0.1:8123".parse().expect("addr"));
        assert!(g.check(&req("GET", &[("host", "127.0.0.1:8123")]), "t").is_ok());
        assert!(g.check(&req("GET", &[("host", "localhost:8123")]), "t").is_ok());
        assert_eq!(
            g.check(&req("GET", &[("host", "evil.example:8123")]), "t").unwrap_err().status,
            403
        );
        assert_eq!(
            g.check(&req("GET", &[("host", "127.0.0.1:9999")]), "t").unwrap_err().status,
            403
        );
        assert_eq!(g.check(&req("GET", &[]), "t").unwrap_err().status, 400);
    }

    #[test]
    fn the_default_port_may_be_left_out() {
        let g = Guard::new("127.0.0.1:80".parse().expect("addr"));
        assert!(g.check(&req("GET", &[("host", "localhost")]), "t").is_ok());
        assert!(g.check(&req("GET", &[("host", "127.0.0.1:80")]), "t").is_ok());
        assert!(g.check(&req("GET", &[("host", "evil.example")]), "t").is_err());
    }

    #[test]
    fn writes_need_the_token_the_origin_and_json() {
        let g = Guard::new("127.0.0.1:8123".parse().expect("addr"));
        let host = ("host", "127.0.0.1:8123");
        let json = ("content-type", "application/json");
        assert_eq!(g.check(&req("POST", &[host, json]), "tok").unwrap_err().status, 403);
        assert_eq!(
            g.check(&req("POST", &[host, json, (TOKEN_HEADER, "nope")]), "tok").unwrap_err().status,
            403
        );
        assert!(g.check(&req("POST", &[host, json, (TOKEN_HEADER, "tok")]), "tok").is_ok());
        let other = ("origin", "http://evil.example");
        assert_eq!(
            g.check(&req("POST", &[host, json, other, (TOKEN_HEADER, "tok")]), "tok")
                .unwrap_err()
                .status,
            403
        );
        let own = ("origin", "http://127.0.0.1:8123");
        assert!(g.check(&req("DELETE", &[host, own, (TOKEN_HEADER, "tok")]), "tok").is_ok());
        assert_eq!(
            g.check(&req("POST", &[host, (TOKEN_HEADER, "tok")]), "tok").unwrap_err().status,
            415
        );
    }

    #[test]
    fn tokens_are_fresh_hex() {
        let a = new_token().expect("urandom");
        assert_eq!(a.len(), 32);
        assert_ne!(a, new_token().expect("urandom"));
    }
}
