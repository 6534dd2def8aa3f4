//! Small HTTP pieces for `mlx ui`'s routes: responses (JSON, text, files streamed from the cache,
//! errors as JSON with the caret column of a bad filter), and query strings and path segments
//! decoded from percent-encoding.

use std::io::Read;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::Response;
use hyper::body::Frame;
use hyper::header::{self, HeaderValue};
use serde::Serialize;

use super::Body;
use super::guard::Refused;

/// Headers every answer carries: no sniffing, no framing, no referrer, nothing cached.
fn secured(mut resp: Response<Body>) -> Response<Body> {
    let h = resp.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed()
}

pub fn bytes(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut resp = Response::new(full(body));
    *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    secured(resp)
}

pub fn json<T: Serialize>(status: u16, value: &T) -> Response<Body> {
    match serde_json::to_vec(value) {
        Ok(body) => bytes(status, "application/json", body),
        Err(e) => message(500, &format!("cannot write the answer: {e}")),
    }
}

/// `{"error": "…"}` with `status`.
pub fn message(status: u16, text: &str) -> Response<Body> {
    json(status, &ErrorBody { error: text, ..ErrorBody::default() })
}

pub fn refused(r: Refused) -> Response<Body> {
    message(r.status, &r.message)
}

/// The page, with the policy that keeps any script but its own from running.
pub fn page(html: String) -> Response<Body> {
    let mut resp = bytes(200, "text/html; charset=utf-8", html);
    resp.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
             form-action 'none'; frame-ancestors 'none'",
        ),
    );
    resp
}

/// An error as JSON: its message, the hint and detail lines the CLI shows, and for a filter or
/// sort key that fails, the expression and the 1-based column to put a caret under.
#[derive(Debug, Default, Serialize)]
pub struct ErrorBody<'a> {
    pub error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

/// The answer for a failure of the core: 404 for what is not there, 409 for what is still
/// running, 400 for other input errors, 500 otherwise.
pub fn error(e: &crate::error::Error) -> Response<Body> {
    use crate::error::Error as E;
    use crate::tracking::Error as Db;
    let status = match e {
        E::Db(Db::UnknownRun { .. } | Db::UnknownExperiment { .. })
        | E::RunLookup(crate::tracking::lookup::LookupError::NoSuchRun { .. })
        | E::Artifact(crate::tracking::artifacts::ArtifactError::Unknown { .. })
        | E::Store(crate::store::Error::MissingObject { .. }) => 404,
        E::RunStillRunning { .. } | E::ExperimentStillRunning { .. } => 409,
        e if e.is_input_error() => 400,
        _ => 500,
    };
    let (text, column) = caret_of(e);
    let message = e.to_string();
    json(status, &ErrorBody { error: &message, hint: e.hint(), details: e.details(), text, column })
}

/// A filter or sort key that does not hold, as a 200 answer: `{"valid": false, …}` and the
/// fields of [`error`]'s body.
pub fn invalid(e: &crate::error::Error) -> Response<Body> {
    #[derive(Serialize)]
    struct Invalid<'a> {
        valid: bool,
        #[serde(flatten)]
        body: ErrorBody<'a>,
    }
    let message = e.to_string();
    let (text, column) = caret_of(e);
    json(
        200,
        &Invalid {
            valid: false,
            body: ErrorBody { error: &message, hint: e.hint(), details: e.details(), text, column },
        },
    )
}

fn caret_of(e: &crate::error::Error) -> (Option<&str>, Option<usize>) {
    use crate::error::Error as E;
    match e {
        E::Filter { text, error, .. } => (Some(text.as_str()), Some(error.column)),
        E::UnknownKey(k) => (Some(k.text.as_str()), k.column),
        _ => (None, None),
    }
}

/// A file streamed in chunks from a blocking reader (a cache object can be gigabytes).
pub fn stream(
    mut file: impl Read + Send + 'static,
    len: Option<u64>,
    content_type: &str,
) -> Response<Body> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<std::io::Result<Frame<Bytes>>>(4);
    tokio::task::spawn_blocking(move || {
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if tx.blocking_send(Ok(Frame::data(Bytes::copy_from_slice(&buf[..n])))).is_err()
                    {
                        break;
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    break;
                }
            }
        }
    });
    let body = StreamBody::new(futures::stream::poll_fn(move |cx| rx.poll_recv(cx))).boxed();
    let mut resp = secured(Response::new(body));
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Some(len) = len {
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    resp
}

/// A download: `attachment` with the file's name, sandboxed should a browser render it anyway.
pub fn attachment(mut resp: Response<Body>, name: &str) -> Response<Body> {
    let h = resp.headers_mut();
    let encoded = encode(name);
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename*=UTF-8''{encoded}")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox"));
    resp
}

/// Percent-decode `text` (`+` stays `+`: paths; see [`query`] for forms). `None` when the
/// result is not UTF-8 or an escape is malformed.
pub fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encode everything but unreserved characters.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The pairs of a query string (`a=1&b=x+y`), decoded.
pub fn query(q: Option<&str>) -> Vec<(String, String)> {
    q.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((decode(&k.replace('+', " "))?, decode(&v.replace('+', " "))?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_and_paths_decode() {
        let q = query(Some("filter=metrics.acc+%3E+0.9&points=20&x"));
        assert_eq!(q[0], ("filter".into(), "metrics.acc > 0.9".into()));
        assert_eq!(q[1], ("points".into(), "20".into()));
        assert_eq!(q[2], ("x".into(), String::new()));
        assert_eq!(decode("out%2Fa+b.txt").as_deref(), Some("out/a+b.txt"));
        assert_eq!(decode("%zz"), None);
        assert_eq!(decode("%ff"), None);
        assert_eq!(encode("a b/\"é"), "a%20b%2F%22%C3%A9");
    }
}
