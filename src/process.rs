//! Who this process is, and whether another one is still alive (for stale locks).

use std::fmt;

/// Who holds a runner lock.
#[derive(Debug, Clone, PartialEq)]
pub struct Holder {
    /// host:pid:process-start, unique for a process.
    pub owner: String,
    pub host: String,
    pub pid: i64,
    /// When the lock was taken (UTC).
    pub since: String,
    /// The cluster node it holds the lock through (Galera's `wsrep_node_name`), if any.
    pub node: String,
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "process {} on host {}", self.pid, self.host)?;
        if !self.node.is_empty() {
            write!(f, ", through cluster node {}", self.node)?;
        }
        write!(f, " (since {} UTC)", self.since)
    }
}

/// The host name, or "localhost" when it cannot be read.
pub fn host_name() -> String {
    gethostname::gethostname()
        .into_string()
        .unwrap_or_else(|_| "localhost".to_string())
}

/// The kernel's start time of a process (clock ticks since boot), which tells a live
/// process from a later one that reused its pid. None where /proc is not available.
pub fn start_token(pid: i64) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: fields after it
    // start behind the last ')'.
    let after = &stat[stat.rfind(')')? + 1..];
    // `after` starts at field 3 (state); starttime is field 22.
    after.split_whitespace().nth(19).map(str::to_string)
}

/// Is the process that took a lock on this host still running?
pub fn alive(pid: i64, owner: &str) -> bool {
    let Ok(pid_t) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid_t <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 only checks for existence and permission.
    let r = unsafe { libc::kill(pid_t, 0) };
    if r != 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EPERM) {
        return false;
    }
    // Same pid: is it the same process? The owner string ends with its start token.
    let recorded = owner.rsplit(':').next();
    match (recorded, start_token(pid)) {
        (Some(recorded), Some(now)) if !recorded.is_empty() && recorded != "?" => recorded == now,
        _ => true,
    }
}

/// False only when the holder is known to be gone: same host, and its process is not
/// running (a lock taken on another host cannot be checked from here).
pub fn holder_alive(h: &Holder) -> bool {
    h.host != host_name() || alive(h.pid, &h.owner)
}

/// This process as a lock holder.
pub fn me() -> Holder {
    let host = host_name();
    let pid = i64::from(std::process::id());
    let token = start_token(pid).unwrap_or_else(|| "?".to_string());
    Holder {
        owner: format!("{host}:{pid}:{token}"),
        host,
        pid,
        since: crate::clock::now_utc(),
        node: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_dead_pid_is_not() {
        let me = me();
        assert!(alive(me.pid, &me.owner));
        // Same pid, another start time: a reused pid is not the holder.
        assert!(!alive(me.pid, &format!("{}:{}:1", me.host, me.pid)));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = i64::from(child.id());
        child.wait().unwrap();
        assert!(!alive(pid, &format!("h:{pid}:?")));
    }
}
