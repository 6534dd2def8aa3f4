//! The software and hardware a run ran on (`run_environment`): the operating system and kernel,
//! the CPU model and count, memory, GPUs with their driver and CUDA version, the Python version
//! when the command runs Python, and the hashes of the lock files the project holds. `mlx exp
//! diff` shows what changed between two runs.
//!
//! A run's facts are gathered on a thread of their own ([`gather`]), the machine's once per
//! process, so a run's command never waits for them; a run records them when it ends.
//! Nothing here fails a run: a fact that cannot be read is left out.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use rusqlite::{Connection, params};

use super::RunId;
use super::db::Error;

/// Lock and environment files whose hashes a run records, by name (`requirements*.txt` matches
/// `requirements.txt`, `requirements-dev.txt`, …).
pub const LOCK_FILES: &[&str] = &[
    "uv.lock",
    "poetry.lock",
    "Pipfile.lock",
    "pdm.lock",
    "requirements*.txt",
    "environment.yml",
    "environment.yaml",
    "conda-lock.yml",
    "renv.lock",
    "Cargo.lock",
];

/// How long a probing command (`nvidia-smi`, `python --version`) may take.
const PROBE_WAIT: Duration = Duration::from_secs(5);

/// Lock files larger than this are not hashed (a lock file is text of a few MB at most).
const MAX_LOCK_FILE: u64 = 64 << 20;

/// Facts about a run's environment, by key (`os`, `cpu.model`, `gpu.0.name`, `python`,
/// `lock.uv.lock`, …).
pub type Facts = BTreeMap<String, String>;

/// This machine's facts, gathered once per process (by the first run's gathering thread).
pub fn machine() -> &'static Facts {
    static FACTS: OnceLock<Facts> = OnceLock::new();
    FACTS.get_or_init(gather_machine)
}

/// Gather [`of_run`] on a thread of its own, so the command starts at once.
pub fn gather(
    root: &Path,
    cwd: &Path,
    command: &[String],
    env: &[(String, String)],
) -> std::thread::JoinHandle<Facts> {
    let (root, cwd, command, env) =
        (root.to_path_buf(), cwd.to_path_buf(), command.to_vec(), env.to_vec());
    std::thread::spawn(move || of_run(&root, &cwd, &command, &env))
}

/// The facts of the run of `command` (program and arguments, run in `cwd` with the variables
/// `env` set) in the project at `root`: the machine's, the Python version when the command runs
/// Python (the interpreter it names, found as the command would find it), and the lock files'
/// hashes.
pub fn of_run(root: &Path, cwd: &Path, command: &[String], env: &[(String, String)]) -> Facts {
    let mut facts = machine().clone();
    if let Some(python) = python_of(command) {
        let program = if python.contains('/') { cwd.join(&python) } else { PathBuf::from(&python) };
        let mut cmd = Command::new(program);
        cmd.arg("--version").current_dir(cwd).envs(env.iter().map(|(k, v)| (k, v)));
        if let Some(version) = probe(&mut cmd) {
            // "Python 3.11.7" (older ones print it on stderr, which `probe` reads too).
            let version = version.trim().trim_start_matches("Python").trim().to_owned();
            if !version.is_empty() {
                facts.insert("python".into(), version);
            }
        }
    }
    facts.extend(lock_files(root));
    facts
}

/// Record `facts` on run `id` (replacing what it had).
pub fn record(conn: &Connection, id: &RunId, facts: &Facts) -> Result<(), Error> {
    let mut put = conn.prepare_cached(
        "INSERT OR REPLACE INTO run_environment (run_id, key, value) VALUES (?1, ?2, ?3)",
    )?;
    for (k, v) in facts {
        put.execute(params![id.as_str(), k, v])?;
    }
    Ok(())
}

/// The facts recorded on run `id`.
pub fn of_run_id(conn: &Connection, id: &RunId) -> Result<Facts, Error> {
    let mut stmt = conn
        .prepare_cached("SELECT key, value FROM run_environment WHERE run_id = ?1 ORDER BY key")?;
    let rows = stmt.query_map([id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The facts of several runs (an experiment's), the first run's value winning for a key several
/// recorded.
pub fn of_runs(conn: &Connection, ids: &[RunId]) -> Result<Facts, Error> {
    let mut facts = Facts::new();
    for id in ids {
        for (k, v) in of_run_id(conn, id)? {
            facts.entry(k).or_insert(v);
        }
    }
    Ok(facts)
}

/// The Python interpreter a command runs, if any: a word of it (the program, or a word of a
/// `sh -c` script) whose file name is `python`, `python3` or `python3.11`-like.
fn python_of(command: &[String]) -> Option<String> {
    command
        .iter()
        .flat_map(|part| part.split(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '|')))
        .find(|word| {
            let name = word.rsplit('/').next().unwrap_or(word);
            name.strip_prefix("python")
                .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit() || c == '.'))
        })
        .map(str::to_owned)
}

/// `lock.NAME` = BLAKE3 of each lock file at the project's root.
fn lock_files(root: &Path) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(root) else { return Vec::new() };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !LOCK_FILES.iter().any(|pattern| crate::text::glob_match(pattern, name)) {
            continue;
        }
        // Regular files only, never followed out through a symlink.
        let Ok(meta) = std::fs::symlink_metadata(entry.path()) else { continue };
        if !meta.is_file() || meta.len() > MAX_LOCK_FILE {
            continue;
        }
        if let Ok(bytes) = std::fs::read(entry.path()) {
            out.push((format!("lock.{name}"), blake3::hash(&bytes).to_hex().to_string()));
        }
    }
    out
}

/// This machine: OS, kernel, architecture, CPU, memory and GPUs.
fn gather_machine() -> Facts {
    let mut facts = Facts::new();
    facts.insert("os".into(), std::env::consts::OS.into());
    facts.insert("arch".into(), std::env::consts::ARCH.into());
    if let Ok(text) = std::fs::read_to_string("/etc/os-release")
        && let Some(name) = text.lines().find_map(|l| l.strip_prefix("PRETTY_NAME="))
    {
        facts.insert("os.release".into(), name.trim_matches('"').to_owned());
    }
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .ok()
        .or_else(|| probe(Command::new("uname").arg("-r")));
    if let Some(kernel) = kernel.map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()) {
        facts.insert("kernel".into(), kernel);
    }
    if let Ok(n) = std::thread::available_parallelism() {
        facts.insert("cpu.count".into(), n.to_string());
    }
    if let Ok(text) = std::fs::read_to_string("/proc/cpuinfo")
        && let Some(model) = text.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            matches!(k.trim(), "model name" | "Model" | "Hardware").then(|| v.trim().to_owned())
        })
    {
        facts.insert("cpu.model".into(), model);
    } else if let Some(model) =
        probe(Command::new("sysctl").args(["-n", "machdep.cpu.brand_string"]))
    {
        facts.insert("cpu.model".into(), model.trim().to_owned());
    }
    if let Ok(text) = std::fs::read_to_string("/proc/meminfo")
        && let Some(kib) = text.lines().find_map(|l| {
            l.strip_prefix("MemTotal:")?.trim().strip_suffix("kB")?.trim().parse::<u64>().ok()
        })
    {
        facts.insert("memory".into(), (kib * 1024).to_string());
    }
    facts.extend(nvidia());
    facts
}

/// NVIDIA GPUs as `nvidia-smi` reports them: `gpu.N.name`, `gpu.N.memory` (bytes), and
/// `gpu.driver`, `cuda` (the CUDA version the driver supports). Nothing without `nvidia-smi`.
fn nvidia() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(list) =
        probe(Command::new("nvidia-smi").args([
            "--query-gpu=name,memory.total,driver_version",
            "--format=csv,noheader,nounits",
        ]))
    else {
        return out;
    };
    for (i, line) in list.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if let [name, memory, driver, ..] = cells.as_slice() {
            out.push((format!("gpu.{i}.name"), (*name).to_owned()));
            if let Ok(mib) = memory.parse::<u64>() {
                out.push((format!("gpu.{i}.memory"), (mib << 20).to_string()));
            }
            if i == 0 {
                out.push(("gpu.driver".into(), (*driver).to_owned()));
            }
        }
    }
    if let Some(banner) = probe(&mut Command::new("nvidia-smi"))
        && let Some(cuda) = banner.split("CUDA Version:").nth(1)
        && let Some(version) = cuda.split_whitespace().next()
    {
        out.push(("cuda".into(), version.trim_end_matches('|').to_owned()));
    }
    out
}

/// What `cmd` printed when it succeeded within [`PROBE_WAIT`], if anything.
fn probe(cmd: &mut Command) -> Option<String> {
    crate::process::ask(cmd, PROBE_WAIT).ok().filter(|t| !t.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn python_is_found_in_programs_and_scripts() {
        assert_eq!(python_of(&words("python3 train.py")), Some("python3".into()));
        assert_eq!(
            python_of(&words("/usr/bin/python3.11 -m x")),
            Some("/usr/bin/python3.11".into())
        );
        let sh = vec!["sh".into(), "-c".into(), "cd src && python train.py".into()];
        assert_eq!(python_of(&sh), Some("python".into()));
        assert_eq!(python_of(&words("pythonic-tool run")), None);
        assert_eq!(python_of(&words("make train")), None);
    }

    #[test]
    fn lock_files_at_the_root_are_hashed_and_others_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("uv.lock"), "a").unwrap();
        std::fs::write(dir.path().join("requirements-dev.txt"), "b").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "c").unwrap();
        std::os::unix::fs::symlink("/etc/hostname", dir.path().join("poetry.lock")).unwrap();
        let got: BTreeMap<String, String> = lock_files(dir.path()).into_iter().collect();
        let keys: Vec<&str> = got.keys().map(String::as_str).collect();
        assert_eq!(keys, ["lock.requirements-dev.txt", "lock.uv.lock"]);
        assert_eq!(got["lock.uv.lock"], blake3::hash(b"a").to_hex().to_string());
    }

    #[test]
    fn the_machine_is_described() {
        let facts = machine();
        assert_eq!(facts["os"], std::env::consts::OS);
        assert!(facts["cpu.count"].parse::<usize>().unwrap() >= 1);
        if cfg!(target_os = "linux") {
            assert!(!facts["kernel"].is_empty());
            assert!(facts["memory"].parse::<u64>().unwrap() > 1 << 20);
        }
    }
}
