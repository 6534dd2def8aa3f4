//! `mlx attest` and `mlx verify`: in-toto statements with a SLSA provenance v1 predicate,
//! validated by the in-toto attestation project's own Python bindings, signed with keys made by
//! real `openssl` and `ssh-keygen`, and checked again after tampering with each part.
//!
//! The validator and an independent DSSE check (Python's `cryptography`) come from PyPI: the
//! first test that needs them installs `in-toto-attestation` and `cryptography` into a virtual
//! environment under cargo's per-target temp dir (see `support::child::install_pypi`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::Digest as _;

use crate::support::child::install_pypi;
use crate::support::{TestProject, stderr, stdout};

const PYTHON_NEEDED: &str = "The attestation tests validate statements with the in-toto \
    attestation project's Python package from PyPI, which needs Python 3.9 or newer with its \
    venv module as `python3` on PATH; pip must be able to reach its package index the first time.";

/// Validates a statement (bare, or in a DSSE envelope whose signature it checks with the
/// public key PEM given second, by its own PAE code and `cryptography`'s ed25519): parsed
/// strictly into the in-toto Statement v1 and SLSA Provenance v1 protobuf messages (an unknown
/// field or a malformed timestamp fails), then the bindings' own validators, then SLSA's
/// required fields. Prints a summary as JSON.
const VALIDATE: &str = r#"
import base64, json, sys
from google.protobuf import json_format
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement
from in_toto_attestation.v1.resource_descriptor import ResourceDescriptor
from in_toto_attestation.predicates.provenance.v1 import provenance_pb2

doc = json.load(open(sys.argv[1]))
signed = "payloadType" in doc
if signed:
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    key = load_pem_public_key(open(sys.argv[2], "rb").read())
    payload = base64.b64decode(doc["payload"])
    kind = doc["payloadType"].encode()
    pae = b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)
    key.verify(base64.b64decode(doc["signatures"][0]["sig"]), pae)
    doc = json.loads(payload)
statement = json_format.ParseDict(doc, statement_pb2.Statement())
Statement.copy_from_pb(statement).validate()
provenance = json_format.ParseDict(doc["predicate"], provenance_pb2.Provenance())
build, run = provenance.build_definition, provenance.run_details
assert build.build_type, "buildType is required"
assert len(build.external_parameters) > 0, "externalParameters is required"
assert run.builder.id, "runDetails.builder.id is required"
for r in list(build.resolved_dependencies) + list(run.byproducts):
    ResourceDescriptor.copy_from_pb(r).validate()
print(json.dumps({"signed": signed, "subjects": len(statement.subject),
                  "dependencies": len(build.resolved_dependencies),
                  "invocation": run.metadata.invocation_id}))
"#;

fn python() -> &'static Path {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let bin = BIN.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("in-toto-attestation");
        let packages = ["in-toto-attestation==0.9.*".to_owned(), "cryptography".to_owned()];
        let check: &[&str] = &["-c", "import in_toto_attestation, cryptography"];
        install_pypi(&dir, &packages, "python", &[("python", check)], PYTHON_NEEDED)
            .map(|bin| bin.join("python"))
    });
    match bin {
        Ok(b) => b,
        Err(message) => panic!("{message}"),
    }
}

/// Run the validator on `file` (with `public_key` for an envelope); panic unless it passes.
fn validate(p: &TestProject, file: &str, public_key: Option<&Path>) -> serde_json::Value {
    let script = p.temp_dir().join("validate.py");
    std::fs::write(&script, VALIDATE).unwrap();
    let mut cmd = p.tool(python());
    cmd.arg(&script).arg(p.path(file));
    if let Some(k) = public_key {
        cmd.arg(k);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "the in-toto validator refused {file}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A key pair made by `openssl genpkey -algorithm ALG`, outside the project: (private, public).
fn openssl_key(p: &TestProject, name: &str, alg: &str) -> (PathBuf, PathBuf) {
    let private = p.temp_dir().join(format!("{name}.pem"));
    let public = p.temp_dir().join(format!("{name}.pub.pem"));
    let mut make = Command::new("openssl");
    make.args(["genpkey", "-algorithm", alg]);
    if alg == "EC" {
        make.args(["-pkeyopt", "ec_paramgen_curve:P-256"]);
    }
    let ok = make.arg("-out").arg(&private).output().expect("openssl on PATH");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let ok = Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&private)
        .arg("-out")
        .arg(&public)
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    (private, public)
}

/// Tracked data → prepare (a folder output) → train (a param, a metric), run and committed.
fn two_stages() -> TestProject {
    let p = TestProject::initialized();
    p.write("data/raw.csv", "x\n2\n1\n");
    p.mlx(&["add", "-q", "data/raw.csv"]).success();
    p.write("params.toml", "lr = 0.1\n");
    p.write(
        "mlx.toml",
        format!(
            "{}\n[stages.prepare]\ncmd = \"mkdir -p feats && cp data/raw.csv feats/a.csv && sort data/raw.csv > feats/b.csv\"\ndeps = [\"data/raw.csv\"]\nouts = [\"feats\"]\n\n\
             [stages.train]\ncmd = \"cat feats/a.csv feats/b.csv > model.txt && echo ${{lr}} >> model.txt && echo '{{\\\"acc\\\": 0.75}}' > metrics.json\"\ndeps = [\"feats\"]\nparams = [\"lr\"]\nouts = [\"model.txt\"]\nmetrics = [\"metrics.json\"]\n",
            p.read_string("mlx.toml")
        ),
    );
    p.mlx(&["run", "-q"]).success();
    p.commit_all("two stages");
    p
}

fn sha256(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn locked(p: &TestProject, stage: &str, path: &str) -> String {
    let lock: toml::Table = toml::from_str(&p.read_string("mlx.lock")).unwrap();
    let outs = lock["stages"][stage]["outs"].as_array().unwrap();
    let out = outs.iter().find(|o| o["path"].as_str() == Some(path)).unwrap();
    out["hash"].as_str().unwrap().to_owned()
}

fn statement(p: &TestProject, file: &str) -> serde_json::Value {
    serde_json::from_str(&p.read_string(file)).unwrap()
}

fn dep<'a>(s: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    s["predicate"]["buildDefinition"]["resolvedDependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name)
        .unwrap_or_else(|| panic!("no dependency {name}: {s:#}"))
}

#[test]
fn a_stage_output_is_attested_from_its_lineage_and_validates() {
    let p = two_stages();
    let report = p.json(&["attest", "model.txt", "-o", "model.intoto.json"]);
    assert_eq!(report["signed"], false);
    let s = statement(&p, "model.intoto.json");
    assert_eq!(s["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(s["predicateType"], "https://slsa.dev/provenance/v1");
    // The subject: the bytes' sha256 and mlx's own blake3, as mlx.lock recorded it.
    let subject = &s["subject"][0];
    assert_eq!(subject["name"], "model.txt");
    assert_eq!(subject["digest"]["sha256"], sha256(&p.read("model.txt")));
    assert_eq!(subject["digest"]["blake3"], locked(&p, "train", "model.txt"));
    // The build: the stage's command and params; the code and every input, transitively.
    let build = &s["predicate"]["buildDefinition"];
    assert_eq!(build["externalParameters"]["stage"], "train");
    assert_eq!(build["externalParameters"]["params"]["lr"], 0.1);
    assert!(build["externalParameters"]["cmd"][0].as_str().unwrap().starts_with("cat feats"));
    let code = &build["resolvedDependencies"][0];
    assert_eq!(code["digest"]["gitCommit"], p.rev_parse("HEAD").as_str());
    assert_eq!(dep(&s, "feats")["digest"]["blake3"], locked(&p, "prepare", "feats"));
    assert_eq!(dep(&s, "feats")["annotations"]["stage"], "prepare");
    let raw = dep(&s, "data/raw.csv");
    assert_eq!(raw["digest"]["sha256"], sha256(b"x\n2\n1\n"));
    assert_eq!(raw["annotations"]["kind"], "data");
    // The run: its id, times, metrics and environment.
    let run_id = report["run"].as_str().unwrap();
    let run = &s["predicate"]["runDetails"];
    assert_eq!(run["metadata"]["invocationId"], run_id);
    assert!(run["metadata"]["finishedOn"].as_str().unwrap().ends_with('Z'));
    let byproducts = run["byproducts"].as_array().unwrap();
    let metrics = byproducts.iter().find(|b| b["name"] == "metrics").unwrap();
    assert_eq!(metrics["annotations"]["acc"], 0.75);
    let content = STANDARD.decode(metrics["content"].as_str().unwrap()).unwrap();
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&content).unwrap()["acc"], 0.75);
    assert!(byproducts.iter().any(|b| b["name"] == "environment"));

    let checked = validate(&p, "model.intoto.json", None);
    assert_eq!(checked["subjects"], 1);
    assert_eq!(checked["dependencies"], 3);
    assert_eq!(checked["invocation"], run_id);

    // A folder output: one subject per file, named under the folder.
    p.mlx(&["attest", "feats", "-o", "feats.intoto.json"]).success();
    let s = statement(&p, "feats.intoto.json");
    let names: Vec<&str> =
        s["subject"].as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["feats/a.csv", "feats/b.csv"]);
    assert_eq!(s["subject"][1]["digest"]["sha256"], sha256(b"1\n2\nx\n"));
    validate(&p, "feats.intoto.json", None);
    p.mlx(&["verify", "feats.intoto.json"]).success();

    // Without -o: the statement on stdout.
    let out = stdout(&p.mlx(&["attest", "model.txt"]).success());
    let printed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(printed["subject"], statement(&p, "model.intoto.json")["subject"]);
}

#[test]
fn a_model_version_is_attested_at_its_commit() {
    let p = two_stages();
    p.mlx(&["model", "register", "clf", "model.txt"]).success();
    let v1 = p.read("model.txt");
    p.write("params.toml", "lr = 0.2\n");
    p.mlx(&["run", "-q"]).success();
    p.commit_all("lr 0.2");
    assert_ne!(p.read("model.txt"), v1);
    p.mlx(&["attest", "clf@v0.0.1", "-o", "clf.json"]).success();
    let s = statement(&p, "clf.json");
    assert_eq!(s["subject"][0]["name"], "model.txt");
    assert_eq!(s["subject"][0]["digest"]["sha256"], sha256(&v1));
    let external = &s["predicate"]["buildDefinition"]["externalParameters"];
    assert_eq!(external["model"], "clf@v0.0.1");
    assert_eq!(external["params"]["lr"], 0.1);
    validate(&p, "clf.json", None);
    // The work tree holds another model now: its copy differs, the cache's matches.
    let assert = p.mlx(&["verify", "clf.json"]).code(1);
    assert!(stdout(&assert).contains("DIFFERS    model.txt  (differs in the work tree)"));
    let report: serde_json::Value = serde_json::from_slice(
        &p.mlx(&["verify", "clf.json", "--json"]).code(1).get_output().stdout,
    )
    .unwrap();
    assert_eq!(report["subjects"][0]["matched_in"], serde_json::json!(["cache"]));
    assert_eq!(report["ok"], false);
}

#[test]
fn a_signed_envelope_checks_out_here_and_with_an_independent_implementation() {
    let p = two_stages();
    let (private, public) = openssl_key(&p, "signer", "ed25519");
    let report = p.json(&[
        "attest",
        "model.txt",
        "--key",
        private.to_str().unwrap(),
        "-o",
        "model.dsse.json",
    ]);
    assert_eq!(report["signed"], true);
    let envelope = statement(&p, "model.dsse.json");
    assert_eq!(envelope["payloadType"], "application/vnd.in-toto+json");
    assert_eq!(envelope["signatures"][0]["keyid"], report["keyid"]);
    // Python's cryptography checks the signature over DSSE's PAE; the payload validates.
    let checked = validate(&p, "model.dsse.json", Some(&public));
    assert_eq!(checked["signed"], true);

    let ok = p.mlx(&["verify", "model.dsse.json", "--key", public.to_str().unwrap()]).success();
    let text = stdout(&ok);
    assert!(text.contains("signature: valid"), "{text}");
    assert!(text.contains("matched    model.txt"), "{text}");
    assert!(text.contains("matched    data/raw.csv  (cache)"), "{text}");
    // The private key serves too (its public half).
    p.mlx(&["verify", "model.dsse.json", "--key", private.to_str().unwrap()]).success();
    // No key: said, not a failure.
    let unchecked = p.mlx(&["verify", "model.dsse.json"]).success();
    assert!(stdout(&unchecked).contains("signature: not checked"));
    let report: serde_json::Value = serde_json::from_slice(
        &p.mlx(&["verify", "model.dsse.json", "--json"]).success().get_output().stdout,
    )
    .unwrap();
    assert_eq!(report["signature"]["status"], "unchecked");
    // Another key: a bad signature.
    let (_, other) = openssl_key(&p, "other", "ed25519");
    let bad = p.mlx(&["verify", "model.dsse.json", "--key", other.to_str().unwrap()]).code(1);
    assert!(stdout(&bad).contains("signature: BAD"));
    // A key asks for a signature: a bare statement has none.
    p.mlx(&["attest", "model.txt", "-o", "bare.json"]).success();
    let missing = p.mlx(&["verify", "bare.json", "--key", public.to_str().unwrap()]).code(1);
    assert!(stdout(&missing).contains("signature: MISSING"));
}

#[test]
fn openssh_ed25519_keys_sign_and_check() {
    let p = two_stages();
    let key = p.temp_dir().join("id_ed25519");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .output()
        .expect("ssh-keygen on PATH");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    p.mlx(&["attest", "model.txt", "--key", key.to_str().unwrap(), "-o", "ssh.json"]).success();
    let public = format!("{}.pub", key.display());
    p.mlx(&["verify", "ssh.json", "--key", &public]).success();
    let (_, openssl_public) = openssl_key(&p, "other", "ed25519");
    p.mlx(&["verify", "ssh.json", "--key", openssl_public.to_str().unwrap()]).code(1);
}

#[test]
fn tampering_with_the_subject_an_input_the_signature_or_the_payload_fails_verify() {
    let p = two_stages();
    let (private, public) = openssl_key(&p, "signer", "ed25519");
    let key = public.to_str().unwrap();
    p.mlx(&["attest", "model.txt", "--key", private.to_str().unwrap(), "-o", "m.json"]).success();
    p.mlx(&["verify", "m.json", "--key", key]).success();

    // The subject in the work tree.
    let original = p.read("model.txt");
    p.remove("model.txt");
    p.write("model.txt", "forged\n");
    let failed = p.mlx(&["verify", "m.json", "--key", key]).code(1);
    assert!(stdout(&failed).contains("DIFFERS    model.txt  (differs in the work tree)"));
    assert!(stderr(&failed).contains("verification failed: 3 matched, 1 differ"));
    p.remove("model.txt");
    p.write("model.txt", &original);
    p.mlx(&["verify", "m.json", "--key", key]).success();

    // The subject's cache copy (the work tree's gone).
    let hash = locked(&p, "train", "model.txt");
    let object = p.object_path(&hash);
    p.remove("model.txt");
    let saved = std::fs::read(&object).unwrap();
    forge(&object, b"forged in the cache\n");
    let failed = p.mlx(&["verify", "m.json", "--key", key]).code(1);
    assert!(stdout(&failed).contains("DIFFERS    model.txt  (differs in the cache)"));
    forge(&object, &saved);
    p.mlx(&["verify", "m.json", "--key", key]).success();

    // An input's content in the cache.
    let raw = p.pointer_hash("data/raw.csv");
    let raw_object = p.object_path(&raw);
    let saved = std::fs::read(&raw_object).unwrap();
    forge(&raw_object, b"x\n9\n9\n");
    let failed = p.mlx(&["verify", "m.json", "--key", key]).code(1);
    assert!(stdout(&failed).contains("DIFFERS    data/raw.csv  (differs in the cache)"));
    forge(&raw_object, &saved);
    p.mlx(&["verify", "m.json", "--key", key]).success();

    // The signature.
    let mut envelope = statement(&p, "m.json");
    let sig = STANDARD.decode(envelope["signatures"][0]["sig"].as_str().unwrap()).unwrap();
    let mut flipped = sig.clone();
    flipped[0] ^= 1;
    envelope["signatures"][0]["sig"] = STANDARD.encode(&flipped).into();
    p.write("sig.json", serde_json::to_vec(&envelope).unwrap());
    let failed = p.mlx(&["verify", "sig.json", "--key", key]).code(1);
    assert!(stdout(&failed).contains("signature: BAD"));

    // The payload: a subject digest changed under the old signature.
    let mut envelope = statement(&p, "m.json");
    let payload = STANDARD.decode(envelope["payload"].as_str().unwrap()).unwrap();
    let mut s: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    s["predicate"]["buildDefinition"]["externalParameters"]["params"]["lr"] = 0.5.into();
    envelope["payload"] = STANDARD.encode(serde_json::to_vec(&s).unwrap()).into();
    p.write("payload.json", serde_json::to_vec(&envelope).unwrap());
    let failed = p.mlx(&["verify", "payload.json", "--key", key]).code(1);
    assert!(stdout(&failed).contains("signature: BAD"));
}

/// Replace a read-only cache object's bytes.
fn forge(object: &Path, bytes: &[u8]) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(object, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(object, bytes).unwrap();
    std::fs::set_permissions(object, std::fs::Permissions::from_mode(0o444)).unwrap();
}

#[test]
fn keys_of_the_wrong_kind_and_files_that_are_not_statements_exit_2() {
    let p = two_stages();
    let (rsa, _) = openssl_key(&p, "rsa", "RSA");
    let (ec, ec_public) = openssl_key(&p, "ec", "EC");
    let (ed, ed_public) = openssl_key(&p, "ed", "ed25519");
    let garbage = p.temp_dir().join("garbage.key");
    std::fs::write(&garbage, "not a key at all SECRETBYTES\n").unwrap();
    for (key, says) in [
        (&rsa, "not an ed25519 one"),
        (&ec, "not an ed25519 one"),
        (&garbage, "not a key file mlx reads"),
        (&ed_public, "a public key; signing needs the private key"),
    ] {
        let failed = p.mlx(&["attest", "model.txt", "--key", key.to_str().unwrap()]).code(2);
        let err = stderr(&failed);
        assert!(err.contains(says), "{err}");
        assert!(stdout(&failed).is_empty());
        // The key file's contents are never shown.
        let text = std::fs::read_to_string(key).unwrap();
        for line in text.lines().filter(|l| !l.starts_with("-----") && l.len() > 8) {
            assert!(!err.contains(line), "{err}");
        }
    }
    p.mlx(&["attest", "model.txt", "--key", ed.to_str().unwrap(), "-o", "m.json"]).success();
    let failed = p.mlx(&["verify", "m.json", "--key", ec_public.to_str().unwrap()]).code(2);
    assert!(stderr(&failed).contains("not an ed25519 one"));
    let failed = p.mlx(&["attest", "model.txt", "--key", "no-such.pem"]).code(3);
    assert!(stderr(&failed).contains("cannot read key file"));

    // Not JSON, not a statement, another predicate.
    p.write("notes.txt", "hello\n");
    assert!(stderr(&p.mlx(&["verify", "notes.txt"]).code(2)).contains("not JSON"));
    p.write("other.json", r#"{"_type": "https://in-toto.io/Statement/v1", "subject": [{"name": "a", "digest": {"sha256": "00"}}], "predicateType": "https://spdx.dev/Document", "predicate": {}}"#);
    assert!(stderr(&p.mlx(&["verify", "other.json"]).code(2)).contains("unknown predicate"));
    p.write("plain.json", "{\"a\": 1}\n");
    assert!(stderr(&p.mlx(&["verify", "plain.json"]).code(2)).contains("not an in-toto statement"));
    // Nothing recorded to attest: a plain file.
    let failed = p.mlx(&["attest", "params.toml"]).code(2);
    assert!(stderr(&failed).contains("no recorded content to attest"));
    // -o never writes into .git.
    p.mlx(&["attest", "model.txt", "-o", ".git/provenance.json"]).code(2);
    assert!(!p.exists(".git/provenance.json"));
}

#[test]
fn verify_fetches_what_the_cache_lacks_from_the_remote() {
    let p = two_stages();
    let store = p.temp_dir().join("store");
    p.mlx(&["remote", "add", "store", store.to_str().unwrap(), "--default"]).success();
    p.commit_all("a remote");
    p.mlx(&["push", "-q"]).success();
    p.mlx(&["attest", "model.txt", "-o", "m.json"]).success();
    // A clone with an empty cache: the subject's and inputs' content come from the remote.
    let clone = p.temp_dir().join("clone");
    p.git(&["clone", "-q", p.root().to_str().unwrap(), clone.to_str().unwrap()]);
    std::fs::copy(p.path("m.json"), clone.join("m.json")).unwrap();
    let assert = p.mlx_in(&clone, &["verify", "m.json", "--json"]).success();
    let report: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert!(report["fetched"].as_u64().unwrap() >= 2, "{report:#}");
    assert_eq!(report["subjects"][0]["status"], "matched");
    assert_eq!(report["subjects"][0]["matched_in"], serde_json::json!(["cache"]));
    let raw =
        report["dependencies"].as_array().unwrap().iter().find(|d| d["name"] == "data/raw.csv");
    assert_eq!(raw.unwrap()["status"], "matched");
}

#[test]
fn a_model_registered_from_a_run_names_that_run() {
    let p = TestProject::initialized();
    p.commit_all("start");
    p.mlx(&["run", "-q", "--", "sh", "-c", "echo weights > w.bin"]).success();
    let id: String =
        p.db().query_row("SELECT id FROM runs ORDER BY start_time DESC", [], |r| r.get(0)).unwrap();
    p.mlx(&["log", "artifact", "w.bin", "--run", &id]).success();
    p.mlx(&["model", "register", "m", "--run", &id, "w.bin"]).success();
    let report = p.json(&["attest", "m@v0.0.1", "-o", "m.json"]);
    assert_eq!(report["run"], id.as_str());
    let s = statement(&p, "m.json");
    assert_eq!(s["subject"][0]["digest"]["sha256"], sha256(b"weights\n"));
    assert_eq!(s["predicate"]["runDetails"]["metadata"]["invocationId"], id.as_str());
    validate(&p, "m.json", None);
    p.mlx(&["verify", "m.json"]).success();
    let failed = p.mlx(&["attest", "m@v0.0.1", "--rev", "HEAD"]).code(2);
    assert!(stderr(&failed).contains("--rev does not apply"));
}

#[test]
fn verify_never_reads_a_file_outside_the_project_through_a_symlink() {
    let p = TestProject::initialized();
    p.commit_all("start");
    let outside = p.temp_dir().join("secret.txt");
    std::fs::write(&outside, "secret\n").unwrap();
    std::os::unix::fs::symlink(&outside, p.path("leak.txt")).unwrap();
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "leak.txt", "digest": {"sha256": sha256(b"secret\n")}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {"buildDefinition": {"buildType": "x", "externalParameters": {}},
                      "runDetails": {"builder": {"id": "x"}}}
    });
    p.write("s.json", serde_json::to_vec(&statement).unwrap());
    let report = p.json(&["verify", "s.json"]);
    assert_eq!(report["subjects"][0]["status"], "not_found", "{report:#}");
}
