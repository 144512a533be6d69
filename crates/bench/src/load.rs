//! Drives wrk with `lua/replay.lua`: every pre-signed request once, as fast as
//! `connections` connections go, then stops wrk when the last answer is in.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::requests::Written;

const SCRIPT: &str = include_str!("../lua/replay.lua");

/// What wrk measured.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Measured {
    pub requests: u64,
    pub duration_us: u64,
    /// Answers other than 2xx/3xx.
    pub status_errors: u64,
    /// Connect, read, write errors and timeouts.
    pub socket_errors: u64,
    pub p50_us: u64,
    pub p99_us: u64,
}

impl Measured {
    pub fn rate(&self) -> f64 {
        self.requests as f64 * 1e6 / self.duration_us.max(1) as f64
    }
}

pub struct Load {
    pub connections: usize,
    pub threads: usize,
    pub script: std::path::PathBuf,
}

impl Load {
    pub fn new(dir: &Path, connections: usize, threads: usize) -> anyhow::Result<Self> {
        let script = dir.join("replay.lua");
        std::fs::write(&script, SCRIPT)?;
        Ok(Self { connections, threads, script })
    }

    /// Replays `file` against `port`; answers go to `capture.<k>` when given.
    pub fn replay(&self, port: u16, file: &Written, capture: Option<&Path>) -> anyhow::Result<Measured> {
        if file.count < self.threads {
            bail!("{} requests cannot keep {} threads busy", file.count, self.threads);
        }
        // An upper bound only: the run ends when every thread has its last answer.
        let bound = 60 + file.count / 500;
        let mut child = Command::new("wrk")
            .arg(format!("--threads={}", self.threads))
            .arg(format!("--connections={}", self.connections))
            .arg(format!("--duration={bound}s"))
            .arg("--timeout=10s")
            .arg(format!("--script={}", self.script.display()))
            .arg(format!("http://127.0.0.1:{port}/"))
            .arg("--")
            .arg(&file.prefix)
            .arg(capture.map_or_else(|| "-".into(), |p| p.display().to_string()))
            .stdout(Stdio::piped())
            .spawn()
            .context("starting wrk (scripts/bench installs it)")?;
        let stdout = child.stdout.take().context("wrk's output")?;
        let mut finished = 0;
        let mut measured = None;
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            let Some(said) = line.strip_prefix("lunas-bench: ") else { continue };
            if said == "done" {
                finished += 1;
                if finished == self.threads {
                    // wrk sleeps out --duration unless interrupted; SIGINT ends it now.
                    Command::new("kill").arg("-INT").arg(child.id().to_string()).status()?;
                }
            } else {
                measured = Some(serde_json::from_str::<Measured>(said)?);
            }
        }
        child.wait()?;
        measured.context("wrk printed no summary")
    }
}
