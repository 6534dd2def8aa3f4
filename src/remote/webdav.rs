//! Large uploads to WebDAV, streamed from the file. OpenDAL's WebDAV writer sends an object in
//! one `PUT` whose body it holds in memory, so a 10 GiB model would need 10 GiB of RAM; here the
//! body is read from the file a mebibyte at a time while it is sent, with the length declared up
//! front (some servers refuse chunked uploads). The parent collection is created beforehand
//! through OpenDAL (`MKCOL`), as its own writes do.

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;

use super::Error;
use super::url::Storage;

/// Bytes read from the file per piece of the request body.
const PIECE: usize = 1 << 20;
/// Attempts of one upload when the failure may pass (a dropped connection, a 5xx, a 429).
const ATTEMPTS: u32 = 5;

/// Streams `PUT` requests to one WebDAV collection.
pub struct StreamedPut {
    client: reqwest::Client,
    /// Endpoint and root, percent-encoded, ending with `/`: an object's URL is this plus its key.
    base: String,
    user: Option<String>,
    password: Option<String>,
    remote: String,
    shown: String,
}

impl StreamedPut {
    /// `endpoint` is `http(s)://host[:port]`, `root` the collection's path, starting and ending
    /// with `/` as [`Location::Webdav`](super::url::Location::Webdav) has it.
    pub fn new(
        remote: &str,
        shown: &str,
        endpoint: &str,
        root: &str,
        user: Option<String>,
        password: Option<String>,
    ) -> Result<StreamedPut, Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| Error::Config { remote: remote.to_owned(), message: e.to_string() })?;
        let base = format!(
            "{}{}",
            endpoint.trim_end_matches('/'),
            opendal::raw::percent_encode_path(root)
        );
        Ok(StreamedPut {
            client,
            base,
            user,
            password,
            remote: remote.to_owned(),
            shown: shown.to_owned(),
        })
    }

    /// Upload the `size` bytes of `path` as `key`, retrying failures that may pass.
    pub async fn put(&self, key: &str, path: &Path, size: u64) -> Result<(), Error> {
        let url = format!("{}{}", self.base, opendal::raw::percent_encode_path(key));
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.put_once(&url, path, size).await {
                Ok(()) => return Ok(()),
                Err(Failure::Final(e)) => return Err(e),
                Err(Failure::Temporary(e)) if attempt >= ATTEMPTS => return Err(e),
                Err(Failure::Temporary(_)) => {
                    // 0.2 s, 0.4 s, 0.8 s, 1.6 s.
                    tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
                }
            }
        }
    }

    async fn put_once(&self, url: &str, path: &Path, size: u64) -> Result<(), Failure> {
        let file = std::fs::File::open(path)
            .map_err(|e| Failure::Final(Error::LocalIo { path: path.to_path_buf(), source: e }))?;
        let body = futures::stream::try_unfold(file, |mut file| async move {
            let mut buf = vec![0u8; PIECE];
            let n = crate::fs_util::read_up_to(&mut file, &mut buf)?;
            if n == 0 {
                return Ok::<_, std::io::Error>(None);
            }
            buf.truncate(n);
            Ok(Some((Bytes::from(buf), file)))
        });
        let mut request = self
            .client
            .put(url)
            .header(reqwest::header::CONTENT_LENGTH, size)
            .body(reqwest::Body::wrap_stream(body));
        if let Some(user) = &self.user {
            request = request.basic_auth(user, self.password.as_ref());
        }
        let response = request.send().await.map_err(|e| self.failed_request(&e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let detail = format!("PUT {} answered {status}", self.object_shown(url));
        let (remote, url) = (self.remote.clone(), self.shown.clone());
        Err(match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                Failure::Final(Error::AccessDenied {
                    remote,
                    url,
                    storage: Storage::Webdav,
                    detail,
                })
            }
            // The collection the object goes into does not exist.
            StatusCode::NOT_FOUND | StatusCode::CONFLICT => {
                Failure::Final(Error::Missing { remote, url, storage: Storage::Webdav, detail })
            }
            s if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS => {
                Failure::Temporary(Error::Unreachable { remote, url, detail })
            }
            _ => Failure::Final(Error::Unreachable { remote, url, detail }),
        })
    }

    fn failed_request(&self, e: &reqwest::Error) -> Failure {
        let detail = super::error::with_innermost_cause(e.to_string(), e);
        // A file that cannot be read while it is sent is ours, not the network's.
        let error = Error::Unreachable {
            remote: self.remote.clone(),
            url: self.shown.clone(),
            detail: super::url::redact(&detail),
        };
        if e.is_body() && !e.is_timeout() {
            Failure::Final(error)
        } else {
            Failure::Temporary(error)
        }
    }

    /// The object's path for messages (after the host, so no credentials).
    fn object_shown<'a>(&self, url: &'a str) -> &'a str {
        url.find("://")
            .and_then(|scheme| url[scheme + 3..].find('/').map(|p| &url[scheme + 3 + p..]))
            .unwrap_or(url)
    }
}

enum Failure {
    /// Worth another attempt.
    Temporary(Error),
    Final(Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_the_endpoint_the_encoded_root_and_the_key() {
        let put = StreamedPut::new("r", "webdav://h/x", "http://h:8080/", "/my data/", None, None)
            .unwrap();
        assert_eq!(put.base, "http://h:8080/my%20data/");
        assert_eq!(put.object_shown("http://h:8080/my%20data/ab/cd"), "/my%20data/ab/cd");
        let put = StreamedPut::new("r", "webdav://h", "https://h", "/", None, None).unwrap();
        assert_eq!(put.base, "https://h/");
    }
}
