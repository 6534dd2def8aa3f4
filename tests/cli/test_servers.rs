//! The test storage servers are real: OpenDAL, the client library mlx uses, talks to them.

use std::time::Duration;

use opendal::{ErrorKind, Operator};

use crate::support::servers::{DavServer, S3_ACCESS_KEY, S3_SECRET_KEY, S3Server};

/// A tokio runtime for the client side of a test, and OpenDAL's HTTP transport (reqwest).
fn client_runtime() -> tokio::runtime::Runtime {
    // The first install wins; later calls are no-ops.
    opendal::install_default();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("client runtime")
}

fn s3_operator(server: &S3Server, bucket: &str, secret: &str) -> Operator {
    let builder = opendal::services::S3::default()
        .bucket(bucket)
        .root("/store")
        .endpoint(&server.endpoint())
        .region("us-east-1")
        .access_key_id(S3_ACCESS_KEY)
        .secret_access_key(secret)
        .disable_config_load();
    Operator::new(builder).expect("S3 operator")
}

fn dav_operator(server: &DavServer) -> Operator {
    let builder = opendal::services::Webdav::default().endpoint(&server.http_url()).root("/store");
    Operator::new(builder).expect("WebDAV operator")
}

/// A connection to 127.0.0.1:`port` is refused (nothing listens).
fn assert_refused(port: u16) {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let err = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1))
        .expect_err("a stopped server must refuse connections");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused, "{err}");
}

#[test]
fn s3_round_trip_with_the_right_keys() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path());
    server.create_bucket("bucket");
    let rt = client_runtime();
    rt.block_on(async {
        let op = s3_operator(&server, "bucket", S3_SECRET_KEY);
        op.write("a/b/object.bin", b"hello s3".to_vec()).await.unwrap();
        op.write("a/other.bin", vec![7u8; 100_000]).await.unwrap();
        assert_eq!(op.read("a/b/object.bin").await.unwrap().to_vec(), b"hello s3");
        assert_eq!(op.stat("a/other.bin").await.unwrap().content_length(), 100_000);
        let err = op.stat("a/missing.bin").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");

        let mut listed: Vec<String> = op
            .list_with("a/")
            .recursive(true)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.metadata().is_file())
            .map(|e| e.path().to_owned())
            .collect();
        listed.sort();
        assert_eq!(listed, ["a/b/object.bin", "a/other.bin"]);

        op.delete("a/other.bin").await.unwrap();
        let err = op.stat("a/other.bin").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    });
    // The objects are plain files under root/bucket.
    assert_eq!(
        std::fs::read(server.object_path("bucket", "store/a/b/object.bin")).unwrap(),
        b"hello s3"
    );
}

#[test]
fn s3_wrong_secret_is_denied() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path());
    server.create_bucket("bucket");
    let rt = client_runtime();
    rt.block_on(async {
        let op = s3_operator(&server, "bucket", "not-the-secret");
        let err = op.write("object", b"data".to_vec()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
        assert!(err.to_string().contains("403"), "{err}");
        assert!(err.to_string().contains("SignatureDoesNotMatch"), "{err}");
        let err = op.read("object").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    });
    assert!(!server.object_path("bucket", "store/object").exists());
}

#[test]
fn s3_missing_bucket_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path());
    let rt = client_runtime();
    rt.block_on(async {
        let op = s3_operator(&server, "no-such-bucket", S3_SECRET_KEY);
        // 404 NoSuchBucket, which OpenDAL's S3 service reports as ConfigInvalid (not NotFound).
        let err = op.write("object", b"data".to_vec()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConfigInvalid, "{err}");
        assert!(err.to_string().contains("NoSuchBucket"), "{err}");
        let err = op.read("object").await.unwrap_err();
        assert!(err.to_string().contains("NoSuchBucket"), "{err}");
        let err = op.list("").await.unwrap_err();
        assert!(err.to_string().contains("NoSuchBucket"), "{err}");
    });
    // The write did not create the bucket.
    assert!(!server.root().join("no-such-bucket").exists());
}

#[test]
fn s3_stop_refuses_connections_and_restart_serves_the_same_data() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path());
    server.create_bucket("bucket");
    let port = server.port();
    let rt = client_runtime();
    rt.block_on(async {
        let op = s3_operator(&server, "bucket", S3_SECRET_KEY);
        op.write("kept", b"still here".to_vec()).await.unwrap();
    });

    server.stop();
    assert_refused(port);
    let server = S3Server::start_on(dir.path(), port);
    assert_eq!(server.port(), port);
    rt.block_on(async {
        let op = s3_operator(&server, "bucket", S3_SECRET_KEY);
        assert_eq!(op.read("kept").await.unwrap().to_vec(), b"still here");
    });

    drop(server);
    assert_refused(port);
}

/// Send the start of a request to 127.0.0.1:`port`, stop the server with `stop`, and check that
/// the connection was cut: closed (EOF) or reset, no response and no hang.
fn assert_stop_cuts(port: u16, partial_request: &[u8], stop: impl FnOnce()) {
    use std::io::{Read, Write};

    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.write_all(partial_request).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    stop();
    conn.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut buf = Vec::new();
    match conn.read_to_end(&mut buf) {
        Ok(_) => assert!(buf.is_empty(), "{}", String::from_utf8_lossy(&buf)),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
    }
}

#[test]
fn stop_cuts_connections_mid_request() {
    let dir = tempfile::tempdir().unwrap();
    // S3 answers an unsigned request at once, so send half the headers.
    let s3 = S3Server::start(&dir.path().join("s3"));
    let partial = b"PUT /bucket/key HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le";
    assert_stop_cuts(s3.port(), partial, || s3.stop());

    // WebDAV reads the body: send half of it.
    let dav = DavServer::start(&dir.path().join("dav"));
    let partial = b"PUT /file HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nabc";
    assert_stop_cuts(dav.port(), partial, || dav.stop());
}

#[test]
fn webdav_round_trip_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = DavServer::start(dir.path());
    let port = server.port();
    assert_eq!(server.url(), format!("webdav://127.0.0.1:{port}/"));
    let rt = client_runtime();
    rt.block_on(async {
        let op = dav_operator(&server);
        op.write("a/b/object.bin", b"hello dav".to_vec()).await.unwrap();
        op.write("a/other.bin", vec![7u8; 100_000]).await.unwrap();
        assert_eq!(op.read("a/b/object.bin").await.unwrap().to_vec(), b"hello dav");
        assert_eq!(op.stat("a/other.bin").await.unwrap().content_length(), 100_000);
        let err = op.stat("a/missing.bin").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        op.delete("a/other.bin").await.unwrap();
        let err = op.read("a/other.bin").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    });
    assert_eq!(std::fs::read(server.root().join("store/a/b/object.bin")).unwrap(), b"hello dav");

    server.stop();
    assert_refused(port);
    let server = DavServer::start_on(dir.path(), port);
    rt.block_on(async {
        let op = dav_operator(&server);
        assert_eq!(op.read("a/b/object.bin").await.unwrap().to_vec(), b"hello dav");
    });
}
