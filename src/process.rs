//! Facts about processes on this host, read from `/proc`: whether a pid is in use, when a
//! process started, which processes belong to a process group; and stopping the process group
//! of a run whose mlx process died, without ever signalling a group that merely reuses its id.
//!
//! Also: asking a program a short question (its `--version`) with a time limit.
//!
//! This module only reads `/proc`, sends signals and runs such questions; it knows nothing about
//! runs or projects.

use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

/// Whether a process with this pid exists (a zombie counts: its pid is still taken). Our own
/// pid is always alive.
pub fn pid_in_use(pid: u32) -> bool {
    pid == std::process::id() || Path::new("/proc").join(pid.to_string()).exists()
}

/// What `/proc/PID/stat` says about a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// Exited, waiting to be reaped (or being torn down): it runs no more code.
    pub zombie: bool,
    pub pgrp: i32,
    /// Clock ticks since boot when it started: with the pid, names one process for good.
    pub start: u64,
}

/// Parse the text of `/proc/PID/stat`: `pid (comm) state ppid pgrp ... starttime ...`. The
/// command name may hold spaces and parentheses, so fields are counted after the last `)`.
pub fn parse_stat(text: &str) -> Option<Stat> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state (field 3), ppid, pgrp (5), ..., starttime (22).
    let state = *fields.first()?;
    Some(Stat {
        zombie: matches!(state, "Z" | "X" | "x"),
        pgrp: fields.get(2)?.parse().ok()?,
        start: fields.get(19)?.parse().ok()?,
    })
}

/// The `/proc/PID/stat` facts of a process, if it exists.
pub fn stat(pid: i32) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Whether the process's initial environment holds exactly `entry` (`KEY=VALUE`). False when
/// it cannot be read (another user's process).
pub fn environ_has(pid: i32, entry: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/environ"))
        .is_ok_and(|env| env.split(|&b| b == 0).any(|e| e == entry.as_bytes()))
}

/// Live (not zombie) processes whose process group is `pgid`.
pub fn group_members(pgid: i32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| stat(*pid).is_some_and(|s| !s.zombie && s.pgrp == pgid))
        .collect()
}

/// A process group that mlx started for a run, as recorded while it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    /// The group id: the pid of the command mlx started, which leads the group.
    pub pgid: i32,
    /// The leader's start time (clock ticks since boot), when it could be read.
    pub leader_start: Option<u64>,
}

impl Group {
    /// The group of the just-started process `pid` (made leader of its own group).
    pub fn of_leader(pid: i32) -> Self {
        Group { pgid: pid, leader_start: stat(pid).map(|s| s.start) }
    }

    /// Processes of this group that certainly belong to the run: the group id alone may have
    /// been reused since. The leader counts when its start time is the recorded one; any
    /// member counts when its environment carries the run's `marker` (`MLX_RUN_ID=…`, which
    /// every process the command started inherits). True in `.0` when the leader is the
    /// recorded one, so the whole group is the run's.
    fn members_of_run(&self, marker: &str) -> (bool, Vec<i32>) {
        let leader_ours = self.leader_start.is_some_and(|start| {
            stat(self.pgid).is_some_and(|s| !s.zombie && s.pgrp == self.pgid && s.start == start)
        });
        let members = group_members(self.pgid)
            .into_iter()
            .filter(|pid| leader_ours || environ_has(*pid, marker))
            .collect();
        (leader_ours, members)
    }

    /// Stop what is left of a dead run's process group: SIGTERM, then SIGKILL for whatever is
    /// still there after `grace`. Only processes shown to be the run's are signalled (see
    /// `members_of_run`). Returns how many were found.
    pub fn stop_orphans(&self, marker: &str, grace: Duration) -> usize {
        let (whole_group, members) = self.members_of_run(marker);
        if members.is_empty() {
            return 0;
        }
        let send = |sig: Signal, pids: &[i32]| {
            if whole_group {
                let _ = killpg(Pid::from_raw(self.pgid), sig);
            } else {
                for pid in pids {
                    let _ = kill(Pid::from_raw(*pid), sig);
                }
            }
        };
        send(Signal::SIGTERM, &members);
        let deadline = Instant::now() + grace;
        loop {
            let left: Vec<i32> = members
                .iter()
                .copied()
                .filter(|pid| stat(*pid).is_some_and(|s| !s.zombie && s.pgrp == self.pgid))
                .collect();
            if left.is_empty() {
                break;
            }
            if Instant::now() >= deadline {
                send(Signal::SIGKILL, &left);
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        members.len()
    }
}

/// A process named for good: `PID START` (its start time in clock ticks since boot), for files
/// that say which process owns something. This process's.
pub fn owner_text() -> String {
    owner_text_of(std::process::id())
}

/// [`owner_text`] of the process `pid`.
pub fn owner_text_of(pid: u32) -> String {
    let start = stat(i32::try_from(pid).unwrap_or(i32::MAX)).map_or(0, |s| s.start);
    format!("{pid} {start}")
}

/// Whether the process an [`owner_text`] names still runs (not a later process with its pid).
pub fn owner_alive(text: &str) -> bool {
    let mut parts = text.split_whitespace();
    let (Some(pid), Some(start)) = (parts.next(), parts.next()) else { return false };
    let (Ok(pid), Ok(start)) = (pid.parse::<i32>(), start.parse::<u64>()) else { return false };
    stat(pid).is_some_and(|s| s.start == start && !s.zombie)
}

/// What `cmd` printed when it succeeded within `limit`: its stdout, or its stderr when stdout
/// is blank (some programs print their version there). Stdin is closed; a program still running
/// at the limit is killed. Err: it could not be started, failed, or ran out of time.
pub fn ask(cmd: &mut std::process::Command, limit: Duration) -> Result<String, String> {
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("no answer within {} s", limit.as_secs()));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("it exited with {}", out.status));
    }
    let text = if out.stdout.iter().all(u8::is_ascii_whitespace) { out.stderr } else { out.stdout };
    Ok(String::from_utf8_lossy(&text).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        let text = "4242 (a (weird) name) S 1 4200 4200 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 \
                    987654 1000 10 18446744073709551615";
        assert_eq!(parse_stat(text), Some(Stat { zombie: false, pgrp: 4200, start: 987_654 }));
        let zombie = text.replacen(") S ", ") Z ", 1);
        assert!(parse_stat(&zombie).unwrap().zombie);
        assert_eq!(parse_stat("12 (x) S 1"), None);
    }

    #[test]
    fn this_process_is_alive_and_readable() {
        let me = i32::try_from(std::process::id()).unwrap();
        let s = stat(me).expect("own stat");
        assert!(!s.zombie);
        assert!(pid_in_use(std::process::id()));
        assert!(!pid_in_use(2_147_483_646));
        assert_eq!(Group::of_leader(me).leader_start, Some(s.start));
    }
}
