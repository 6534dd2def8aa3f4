//! `ssh://` and `sftp://` remotes against a real OpenSSH server on 127.0.0.1 (support/sshd.rs):
//! round trips into fresh clones, gc and run records; host keys unknown, accepted and changed;
//! logins with the usual key, a `key_file`, the agent and a `~/.ssh/config` alias; a refused
//! key; a server killed mid-push; URL paths that would leave the remote's folder; passwords
//! that never show.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::remotes::{clone_of, remote_objects};
use crate::support::sshd::{Sshd, keygen, trust};
use crate::support::{TestProject, hash_file_hex, many_files, mlx_bin, noise, stderr, stdout};

/// A project with a small tracked directory and file, committed, and the SSH remote `box` (the
/// default) at `SUB` in the server's data folder. Its HOME holds an authorized key and the
/// server's host key.
fn ssh_project(sshd: &Sshd, sub: &str) -> TestProject {
    let p = TestProject::initialized();
    p.write("data/a.txt", "alpha\n");
    p.write("data/sub/b.txt", "bravo\n");
    p.write("model.bin", "weights v1\n");
    p.mlx(&["add", "data", "model.bin"]).success();
    p.mlx(&["remote", "add", "box", &sshd.url(sub), "--default"]).success();
    p.commit_all("data v1");
    p
}

/// The cache's objects, as 64-hex names.
fn local_objects(p: &TestProject) -> Vec<String> {
    p.objects().into_iter().map(|(h, _)| h).collect()
}

/// Every object file under `store` holds bytes that hash to its name: nothing half-written
/// shows under a hash.
fn assert_objects_whole(store: &Path) {
    for hash in remote_objects(store) {
        let path = store.join(&hash[..2]).join(&hash[2..]);
        assert_eq!(hash_file_hex(&path), hash, "{} is not whole", path.display());
    }
}

#[test]
fn ssh_push_pull_and_status_round_trip_into_a_fresh_clone() {
    let sshd = Sshd::start();
    let p = ssh_project(&sshd, "team/cache");
    trust(&p, &sshd);
    // Big enough to take many SFTP requests each way.
    let big = noise(3 << 20, 5);
    p.write("big.bin", &big);
    p.mlx(&["add", "big.bin"]).success();
    p.commit_all("big");
    p.mlx(&["status", "--remote", "box", "--check"]).code(1);
    let a = p.mlx(&["push"]).success();
    assert!(stdout(&a).starts_with("pushed 5 objects"), "{}{}", stdout(&a), stderr(&a));
    // The server's folder holds the cache's layout, made with its parents.
    let store = sshd.data().join("team/cache");
    assert_eq!(remote_objects(&store), local_objects(&p));
    assert_objects_whole(&store);
    p.mlx(&["status", "--remote", "box", "--check"]).success();
    let json = p.json(&["push"]);
    assert_eq!((json["uploaded"].as_u64(), json["already_there"].as_u64()), (Some(0), Some(5)));

    // A fresh clone of the repository gets the same bytes.
    let clone = clone_of(&p, "clone");
    let a = p.mlx_in(&clone, &["pull"]).success();
    assert!(stdout(&a).contains("fetched 5 objects"), "{}{}", stdout(&a), stderr(&a));
    for file in ["data/a.txt", "data/sub/b.txt", "model.bin"] {
        assert_eq!(std::fs::read(clone.join(file)).unwrap(), p.read(file), "{file}");
    }
    assert!(std::fs::read(clone.join("big.bin")).unwrap() == big, "big.bin came back different");
    p.mlx_in(&clone, &["status", "--check"]).success();
    p.mlx_in(&clone, &["status", "--remote", "box", "--check"]).success();
}

#[test]
fn ssh_many_files_gc_and_run_records() {
    let sshd = Sshd::start();
    let p = ssh_project(&sshd, "cache");
    trust(&p, &sshd);
    many_files(&p, "many", 200, 512, 10);
    p.mlx(&["add", "many"]).success();
    p.commit_all("many");
    // sftp:// is the same storage.
    p.mlx(&["remote", "modify", "box", "url", &sshd.url("cache").replacen("ssh://", "sftp://", 1)])
        .success();
    p.mlx(&["push", "-q"]).success();
    let store = sshd.data().join("cache");
    assert_eq!(remote_objects(&store), local_objects(&p));

    let old = p.pointer_hash("model.bin");
    p.write("model.bin", "weights v2\n");
    p.mlx(&["add", "model.bin"]).success();
    p.commit_all("v2");
    p.mlx(&["push", "-q"]).success();
    let json = p.json(&["gc", "--remote", "box", "--workspace"]);
    assert_eq!(json["removed_objects"], 1, "{json}");
    let left = remote_objects(&store);
    assert!(!left.contains(&old) && left.contains(&p.pointer_hash("model.bin")));
    p.mlx(&["status", "--remote", "box", "--check"]).success();

    // Run records go through the remote too.
    let script = format!("{0} log param lr=0.01 && {0} log metric acc=0.91", mlx_bin());
    p.mlx(&["run", "--name", "baseline", "--", "sh", "-c", &script]).success();
    let a = p.mlx(&["push", "--runs"]).success();
    assert!(stdout(&a).contains("pushed 1 run record;"), "{}", stdout(&a));
    let clone = clone_of(&p, "clone");
    let a = p.mlx_in(&clone, &["fetch", "--runs"]).success();
    assert!(stdout(&a).contains("merged 1 run record (1 new run)"), "{}", stdout(&a));
    let a = p.mlx_in(&clone, &["push", "--runs"]).success();
    assert!(stdout(&a).contains("pushed 0 run records; 1 already there"), "{}", stdout(&a));
}

#[test]
fn ssh_damaged_object_is_rejected_by_pull_and_replaced_by_push_repair() {
    let sshd = Sshd::start();
    let p = ssh_project(&sshd, "cache");
    trust(&p, &sshd);
    p.mlx(&["push", "-q"]).success();
    let store = sshd.data().join("cache");
    let h = p.pointer_hash("model.bin");
    let object = store.join(&h[..2]).join(&h[2..]);
    // Objects are read-only there, as in a folder remote.
    assert_eq!(std::fs::metadata(&object).unwrap().permissions().mode() & 0o777, 0o444);
    std::fs::set_permissions(&object, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(&object, "weights v0\n").unwrap();
    // A clone's pull rejects the damaged copy by its hash: it never enters the cache.
    let clone = clone_of(&p, "clone");
    let a = p.mlx_in(&clone, &["pull"]).code(3);
    assert!(
        stderr(&a).contains(&format!("{h}  corrupt: its content hashes to ")),
        "{}",
        stderr(&a)
    );
    assert!(!clone.join(".mlx/cache").join(&h[..2]).join(&h[2..]).exists());
    assert!(!clone.join("model.bin").exists());
    let json = p.json(&["push", "--repair"]);
    assert_eq!(json["damaged"], serde_json::json!([h]), "{json}");
    assert_eq!(std::fs::read_to_string(&object).unwrap(), "weights v1\n");
    assert_objects_whole(&store);
    p.mlx_in(&clone, &["pull", "-q"]).success();
    assert_eq!(std::fs::read_to_string(clone.join("model.bin")).unwrap(), "weights v1\n");
}

#[test]
fn ssh_unknown_host_key_is_refused_unless_new_hosts_are_accepted() {
    let sshd = Sshd::start();
    let p = ssh_project(&sshd, "cache");
    trust(&p, &sshd);
    let known_hosts = p.home().join(".ssh/known_hosts");
    std::fs::remove_file(&known_hosts).unwrap();

    let a = p.mlx(&["push"]).code(3);
    let err = stderr(&a);
    let name = format!("[127.0.0.1]:{}", sshd.port());
    assert!(err.contains(&format!("the host key of {name} is not known")), "{err}");
    assert!(err.contains("SHA256:"), "{err}");
    assert!(err.contains(&format!("ssh-keyscan -p {} 127.0.0.1 >>", sshd.port())), "{err}");
    assert!(err.contains("mlx remote modify box strict_host_key_checking accept-new"), "{err}");
    assert!(!known_hosts.exists(), "nothing is recorded without being asked");
    assert!(!sshd.data().join("cache").exists(), "nothing may be written");

    // Accepting new hosts records its key, as `ssh -o StrictHostKeyChecking=accept-new` does.
    p.mlx(&["remote", "modify", "box", "strict_host_key_checking", "accept-new"]).success();
    p.mlx(&["push", "-q"]).success();
    assert_eq!(std::fs::read_to_string(&known_hosts).unwrap(), sshd.known_hosts_line());
    assert_eq!(remote_objects(&sshd.data().join("cache")), local_objects(&p));

    // A changed key is refused even then.
    let other = p.temp_dir().join("other_host_key");
    keygen(&other);
    let other_key = std::fs::read_to_string(other.with_extension("pub")).unwrap();
    let other_key: Vec<&str> = other_key.split_whitespace().take(2).collect();
    std::fs::write(&known_hosts, format!("{name} {}\n", other_key.join(" "))).unwrap();
    let a = p.mlx(&["fetch"]).code(3);
    let err = stderr(&a);
    assert!(err.contains(&format!("the host key of {name} has CHANGED")), "{err}");
    assert!(err.contains(&format!("{}:1 records another", known_hosts.display())), "{err}");
    assert!(err.contains(&format!("ssh-keygen -R '{name}'")), "{err}");
}

#[test]
fn ssh_refused_key_is_access_denied_with_exit_3_and_key_file_logs_in() {
    let sshd = Sshd::start();
    let p = ssh_project(&sshd, "cache");
    // The usual key is there, but the server does not know it.
    let ssh = p.home().join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    keygen(&ssh.join("id_ed25519"));
    std::fs::write(ssh.join("known_hosts"), sshd.known_hosts_line()).unwrap();

    let a = p.mlx(&["push"]).code(3);
    let err = stderr(&a);
    assert!(err.contains("remote 'box'") && err.contains("access denied"), "{err}");
    assert!(err.contains("refused the login; tried ~/.ssh/id_ed25519"), "{err}");
    assert!(err.contains("mlx remote modify box key_file"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!sshd.data().join("cache").exists(), "nothing may be written");

    // A key elsewhere, named by the remote, logs in.
    let key = p.temp_dir().join("deploy_key");
    keygen(&key);
    sshd.authorize(&key.with_extension("pub"));
    p.mlx(&["remote", "modify", "box", "key_file", key.to_str().unwrap(), "--local"]).success();
    p.mlx(&["push", "-q"]).success();
    assert_eq!(remote_objects(&sshd.data().join("cache")), local_objects(&p));

    // A key_file that is not there is bad settings.
    let missing = p.temp_dir().join("no_such_key");
    p.mlx(&["remote", "modify", "box", "key_file", missing.to_str().unwrap(), "--local"]).success();
    let a = p.mlx(&["fetch"]).code(2);
    assert!(stderr(&a).contains("key_file"), "{}", stderr(&a));
}

/// `ssh-agent` on a socket in `dir`, holding `key`; killed on drop.
struct Agent {
    child: Child,
    socket: PathBuf,
}

impl Agent {
    fn start(dir: &Path, key: &Path) -> Agent {
        let socket = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run ssh-agent");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "ssh-agent did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        let status = Command::new("ssh-add")
            .arg(key)
            .env("SSH_AUTH_SOCK", &socket)
            .stderr(Stdio::null())
            .status()
            .expect("run ssh-add");
        assert!(status.success(), "ssh-add failed");
        Agent { child, socket }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn ssh_agent_keys_and_config_aliases_log_in() {
    let sshd = Sshd::start();
    let p = ssh_project(&sshd, "cache");
    let ssh = p.home().join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::write(ssh.join("known_hosts"), sshd.known_hosts_line()).unwrap();

    // A key only the agent holds (its file is elsewhere).
    let key = p.temp_dir().join("agent_key");
    keygen(&key);
    sshd.authorize(&key.with_extension("pub"));
    let agent = Agent::start(p.temp_dir(), &key);
    std::fs::remove_file(&key).unwrap();
    let a = p.mlx_cmd().env("SSH_AUTH_SOCK", &agent.socket).args(["push"]).assert().success();
    assert!(stdout(&a).starts_with("pushed 4 objects"), "{}{}", stdout(&a), stderr(&a));
    drop(agent);

    // A host alias of ~/.ssh/config, with its own user, port and key file.
    let cluster_key = ssh.join("cluster_key");
    keygen(&cluster_key);
    sshd.authorize(&cluster_key.with_extension("pub"));
    std::fs::write(
        ssh.join("config"),
        format!(
            "Host *\n    ServerAliveInterval 30\n\nHost gpu-box\n    HostName 127.0.0.1\n    \
             Port {}\n    User {}\n    IdentityFile ~/.ssh/cluster_key\n",
            sshd.port(),
            sshd.user()
        ),
    )
    .unwrap();
    let url = format!("ssh://gpu-box{}/aliased", sshd.data().display());
    p.mlx(&["remote", "add", "alias", &url]).success();
    let a = p.mlx(&["push", "-r", "alias"]).success();
    assert!(stdout(&a).starts_with("pushed 4 objects"), "{}{}", stdout(&a), stderr(&a));
    assert_eq!(remote_objects(&sshd.data().join("aliased")), local_objects(&p));
}

#[test]
fn ssh_server_killed_mid_push_then_a_rerun_finishes() {
    let mut sshd = Sshd::start();
    let p = ssh_project(&sshd, "cache");
    trust(&p, &sshd);
    // Enough data that the push is still going when the server is killed, on a quiet machine
    // too (1,500 files of 1 KiB could all be sent first).
    many_files(&p, "many", 3000, 16 * 1024, 30);
    p.mlx(&["add", "many"]).success();
    let total = p.objects().len();
    let store = sshd.data().join("cache");
    let child = p
        .mlx_std()
        .args(["push", "--jobs", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while remote_objects(&store).len() < 20 {
        assert!(Instant::now() < deadline, "push made no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    sshd.kill();
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("remote 'box'"), "{err}");
    // Depending on what died first: the connection, or the SFTP subsystem mid-request.
    assert!(
        ["Connection refused", "broke", "Failure"].iter().any(|why| err.contains(why)),
        "{err}"
    );
    assert!(err.contains("run the command again"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(40), "retries took {:?}", started.elapsed());
    let done_before = remote_objects(&store);
    assert!(done_before.len() >= 20 && done_before.len() < total, "{}", done_before.len());
    assert_objects_whole(&store);

    sshd.restart();
    let json = p.json(&["push"]);
    let (uploaded, there) =
        (json["uploaded"].as_u64().unwrap(), json["already_there"].as_u64().unwrap());
    assert!(there >= done_before.len() as u64, "{json}");
    assert_eq!(uploaded + there, total as u64, "{json}");
    assert_eq!(remote_objects(&store), local_objects(&p));
    assert_objects_whole(&store);
}

#[test]
fn ssh_url_paths_stay_inside_the_remote_folder() {
    let sshd = Sshd::start();
    let p = ssh_project(&sshd, "cache");
    trust(&p, &sshd);
    let base = format!("ssh://{}@127.0.0.1:{}{}", sshd.user(), sshd.port(), sshd.data().display());
    for path in ["/cache/../../escape", "/cache/%2e%2e/%2E%2E/escape", "/./cache"] {
        let a = p.mlx(&["remote", "add", "bad", &format!("{base}{path}")]).code(2);
        assert!(stderr(&a).contains("segments are not allowed"), "{path}: {}", stderr(&a));
    }
    // Written into mlx.toml by hand (or by a hostile commit), it is refused just the same.
    let toml = p.read_string("mlx.toml");
    let good = sshd.url("cache");
    p.write("mlx.toml", toml.replace(&good, &format!("{base}/cache/../../escape")));
    let a = p.mlx(&["push"]).code(2);
    assert!(stderr(&a).contains("segments are not allowed"), "{}", stderr(&a));
    let parent = sshd.data().parent().unwrap().to_path_buf();
    assert!(!parent.join("escape").exists() && !sshd.data().join("cache").exists());

    // The scp-like form is not taken for a folder: mlx offers the URL it means.
    let a = p.mlx(&["remote", "add", "scp", "alice@cluster:data/mlx"]).code(2);
    assert!(stderr(&a).contains("did you mean ssh://alice@cluster/~/data/mlx?"), "{}", stderr(&a));
}

#[test]
fn ssh_passwords_are_kept_local_and_never_printed() {
    let sshd = Sshd::start();
    let p = ssh_project(&sshd, "cache");
    let secret = "hunter2-ssh-secret";
    // Not in the URL, where it would be committed.
    let with_password = sshd.url("cache").replacen("@", &format!(":{secret}@"), 1);
    let a = p.mlx(&["remote", "add", "pw", &with_password]).code(2);
    let err = stderr(&a);
    assert!(!err.contains(secret) && err.contains(":***@"), "{err}");
    assert!(err.contains("does not belong in the URL"), "{err}");
    // Nor in mlx.toml.
    let a = p.mlx(&["remote", "modify", "box", "password", secret]).code(2);
    assert!(!stderr(&a).contains(secret), "{}", stderr(&a));
    p.mlx_cmd()
        .args(["remote", "modify", "box", "password", "-", "--local"])
        .write_stdin(format!("{secret}\n"))
        .assert()
        .success();
    assert!(!p.read_string("mlx.toml").contains(secret));
    let a = p.mlx(&["remote", "list", "--json"]).success();
    assert!(!stdout(&a).contains(secret) && stdout(&a).contains("***"), "{}", stdout(&a));

    // No key and a password the server refuses: the error says so, without the password.
    std::fs::create_dir_all(p.home().join(".ssh")).unwrap();
    std::fs::write(p.home().join(".ssh/known_hosts"), sshd.known_hosts_line()).unwrap();
    let a = p.mlx(&["push", "-vv"]).code(3);
    let (out, err) = (stdout(&a), stderr(&a));
    assert!(err.contains("access denied") && err.contains("tried the password"), "{err}");
    assert!(!out.contains(secret) && !err.contains(secret), "{out}{err}");
    let a = p.mlx(&["doctor"]);
    assert!(!stdout(&a).contains(secret) && !stderr(&a).contains(secret));
}
