//! Secrets never print: remote credentials from `.mlx/config.local.toml`, the environment and
//! URLs stay out of log lines (-v, -vv, `MLX_LOG=trace`), `--json` output and error messages,
//! on the S3 and WebDAV test servers; and the storage libraries' log lines stay off a piped
//! stderr unless -v asks for them, never in colour there.

use assert_cmd::assert::Assert;

use crate::remote_servers::{s3_objects, s3_project};
use crate::support::servers::{DavServer, S3_ACCESS_KEY, S3_SECRET_KEY};
use crate::support::{TestProject, stderr, stdout};

const DAV_USER: &str = "mlx-dav-user";
const DAV_PASSWORD: &str = "dav-pass-7f3e9c";

/// How much logging a command is run with.
const LEVELS: [&[(&str, &str)]; 3] = [&[("-v", "")], &[("-vv", "")], &[("", "trace")]];

/// stdout and stderr of a finished command, together.
fn output_of(a: &Assert) -> String {
    format!("{}\n{}", stdout(a), stderr(a))
}

/// Run `mlx ARGS` at each logging level (`-v`, `-vv`, `MLX_LOG=trace`) with `env`; returns
/// each run's output, and asserts none holds any of `secrets`.
fn never_shown(
    p: &TestProject,
    env: &[(&str, &str)],
    args: &[&str],
    secrets: &[&str],
) -> Vec<String> {
    let mut outputs = Vec::new();
    for level in LEVELS {
        let (flag, log) = level[0];
        let mut cmd = p.mlx_cmd();
        cmd.envs(env.iter().copied());
        if !log.is_empty() {
            cmd.env("MLX_LOG", log);
        }
        if !flag.is_empty() {
            cmd.arg(flag);
        }
        let out = output_of(&cmd.args(args).assert());
        for secret in secrets {
            assert!(
                !out.contains(secret),
                "`mlx {flag} {}` (MLX_LOG={log}) printed {secret}:\n{out}",
                args.join(" ")
            );
        }
        outputs.push(out);
    }
    outputs
}

/// Every command that talks to a remote or shows its settings, at every logging level.
const COMMANDS: &[&[&str]] = &[
    &["push"],
    &["push", "--json"],
    &["fetch"],
    &["fetch", "--json"],
    &["status", "--remote", "REMOTE"],
    &["status", "--remote", "REMOTE", "--json"],
    &["doctor"],
    &["doctor", "--json"],
    &["remote", "list"],
    &["remote", "list", "--json"],
];

fn each_command(p: &TestProject, remote: &str, env: &[(&str, &str)], secrets: &[&str]) {
    for args in COMMANDS {
        let args: Vec<&str> =
            args.iter().map(|a| if *a == "REMOTE" { remote } else { a }).collect();
        never_shown(p, env, &args, secrets);
    }
}

#[test]
fn s3_keys_of_the_local_config_never_show_in_logs_json_or_errors() {
    let (p, server) = s3_project();
    p.mlx(&["remote", "modify", "s3", "access_key_id", S3_ACCESS_KEY, "--local"]).success();
    p.mlx(&["remote", "modify", "s3", "secret_access_key", S3_SECRET_KEY, "--local"]).success();
    let secrets = [S3_ACCESS_KEY, S3_SECRET_KEY];
    // The storage library's debug line that used to carry both keys is there, keys hidden.
    let outputs = never_shown(&p, &[], &["push"], &secrets);
    assert!(
        outputs[1].contains(
            "StaticCredentialProvider { access_key_id: \"***\", secret_access_key: \"***\""
        ),
        "{}",
        outputs[1]
    );
    assert_eq!(s3_objects(&server).len(), 4, "the keys worked");
    each_command(&p, "s3", &[], &secrets);

    // A refused request: its error names the problem, never the key sent.
    let wrong = "wrong-secret-0d9b7a";
    p.mlx(&["remote", "modify", "s3", "secret_access_key", wrong, "--local"]).success();
    p.write("model.bin", "weights v2\n");
    p.mlx(&["add", "model.bin"]).success();
    for out in never_shown(&p, &[], &["push"], &[wrong, S3_ACCESS_KEY]) {
        assert!(out.contains("access denied"), "{out}");
    }
}

#[test]
fn s3_credentials_of_the_environment_never_show() {
    let (p, server) = s3_project();
    let env = [("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY), ("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY)];
    each_command(&p, "s3", &env, &[S3_ACCESS_KEY, S3_SECRET_KEY]);
    assert_eq!(s3_objects(&server).len(), 4);
    // A session token travels in every request's headers: never in a line mlx writes.
    let token = "session-token-5be0c1";
    let mut env = env.to_vec();
    env.push(("AWS_SESSION_TOKEN", token));
    p.write("model.bin", "weights v2\n");
    p.mlx(&["add", "model.bin"]).success();
    never_shown(&p, &env, &["push"], &[S3_SECRET_KEY, token]);
}

/// A project with data and a WebDAV remote `dav` (the default) on a server that wants a login;
/// the user is in the URL, the password in the local config.
fn dav_login_project() -> (TestProject, DavServer) {
    let p = TestProject::initialized();
    p.write("data/a.txt", "alpha\n");
    p.write("model.bin", "weights v1\n");
    p.mlx(&["add", "data", "model.bin"]).success();
    let server = DavServer::start_with_login(&p.temp_dir().join("dav"), DAV_USER, DAV_PASSWORD);
    let url = format!("webdav://{DAV_USER}@127.0.0.1:{}/store", server.port());
    p.mlx(&["remote", "add", "dav", &url, "--default"]).success();
    p.commit_all("data");
    (p, server)
}

#[test]
fn webdav_passwords_never_show_in_logs_json_or_errors() {
    let (p, server) = dav_login_project();
    // Without the password: refused, and said so.
    let a = p.mlx(&["push"]).code(3);
    assert!(stderr(&a).contains("access denied"), "{}", stderr(&a));
    p.mlx(&["remote", "modify", "dav", "password", DAV_PASSWORD, "--local"]).success();
    // The password, and the `Authorization: Basic` value that carries it.
    let basic = base64_login(DAV_USER, DAV_PASSWORD);
    never_shown(&p, &[], &["push"], &[DAV_PASSWORD, &basic]);
    assert!(server.root().join("store").is_dir(), "the login worked");
    each_command(&p, "dav", &[], &[DAV_PASSWORD, &basic]);

    // A wrong password: refused, never printed.
    let wrong = "wrong-pass-41c2aa";
    p.mlx(&["remote", "modify", "dav", "password", wrong, "--local"]).success();
    p.write("model.bin", "weights v2\n");
    p.mlx(&["add", "model.bin"]).success();
    for out in never_shown(&p, &[], &["push"], &[wrong, &base64_login(DAV_USER, wrong)]) {
        assert!(out.contains("access denied"), "{out}");
    }

    // A password in the URL itself (of the local config): works, never printed.
    p.mlx(&["remote", "modify", "dav", "password", "--unset", "--local"]).success();
    let url = format!("webdav://{DAV_USER}:{DAV_PASSWORD}@127.0.0.1:{}/store", server.port());
    p.mlx(&["remote", "modify", "dav", "url", &url, "--local"]).success();
    never_shown(&p, &[], &["push"], &[DAV_PASSWORD, &basic]);
    let a = p.mlx(&["push", "--json"]).success();
    assert!(stdout(&a).contains("\"already_there\": 3"), "{}", stdout(&a));
    each_command(&p, "dav", &[], &[DAV_PASSWORD, &basic]);
}

fn base64_login(user: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

#[test]
fn storage_library_log_lines_stay_off_a_piped_stderr_unless_asked_for() {
    let (p, _server) = s3_project();
    // A credential provider that fails makes the request signer log a warning.
    std::fs::create_dir_all(p.home().join(".aws")).unwrap();
    std::fs::write(p.home().join(".aws/config"), "[default]\ncredential_process = false\n")
        .unwrap();
    let run = |args: &[&str]| {
        let a = p.mlx_cmd().env_remove("NO_COLOR").args(args).assert().code(3);
        let err = stderr(&a);
        assert!(!err.contains('\x1b'), "colour on a piped stderr: {err:?}");
        assert!(err.contains("error: remote 's3'") && err.contains("access denied"), "{err}");
        err
    };
    // By default: mlx's own error, and nothing of the storage library.
    let err = run(&["push"]);
    assert!(!err.contains("reqsign") && !err.contains("WARN"), "{err}");
    assert_eq!(err.lines().filter(|l| !l.starts_with("hint:")).count(), 1, "{err}");
    // -v asks for them: there, without colour.
    let err = run(&["-v", "push"]);
    assert!(err.contains("WARN reqsign_core"), "{err}");
}
