//! Durability off the writer's path. Commits append to the WAL without waiting for
//! the disk (`synchronous=NORMAL`); this thread then flushes the WAL file and only
//! after that answers the jobs the flush covers. While it waits for the disk, the
//! writer already runs the next batch, so a batch's fsync overlaps the next batch's
//! work instead of stalling it.
//!
//! Nothing is answered before it is on disk:
//! - a command, once its batch committed and a later flush of the WAL completed;
//! - a read, once a flush that began after the read completed, since a read may see
//!   commits that are not yet flushed (this process's or another's).
//!
//! The WAL is one file written front to back, and SQLite ignores frames after the
//! first one missing on recovery; a flush therefore makes every commit before it
//! durable, and a batch that saw an earlier batch's changes is answered only after
//! both are on disk.

use std::fs::File;
use std::path::Path;

use crossbeam_channel::{Receiver, Sender};

use crate::store::{Job, StoreResult};

/// A job whose work is done, waiting to be answered.
pub type Finished = (Box<dyn Job>, StoreResult<()>);

pub struct Syncer {
    queue: Sender<Vec<Finished>>,
}

impl Syncer {
    /// Starts flushing `wal`, the write-ahead log of the database at `database`.
    pub fn start(database: &Path) -> anyhow::Result<Syncer> {
        let mut name = database.as_os_str().to_owned();
        name.push("-wal");
        let wal = File::options().append(true).create(true).open(&name)?;
        wal.sync_all()?;
        // The log's directory entry must be durable too.
        let directory = database.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        File::open(directory)?.sync_all()?;
        Ok(Self::with_flush(move || wal.sync_data()))
    }

    fn with_flush(flush: impl Fn() -> std::io::Result<()> + Send + 'static) -> Syncer {
        let (queue, finished) = crossbeam_channel::unbounded();
        super::spawn("lunas-sqlite-sync", move || sync_loop(&flush, &finished));
        Syncer { queue }
    }

    /// Answers `jobs` once everything written so far is on disk.
    pub fn answer_when_durable(&self, jobs: Vec<Finished>) {
        if let Err(returned) = self.queue.send(jobs) {
            for (job, _) in returned.into_inner() {
                job.finish(Err(anyhow::anyhow!("the SQLite threads have stopped").into()));
            }
        }
    }
}

fn sync_loop(flush: &dyn Fn() -> std::io::Result<()>, queue: &Receiver<Vec<Finished>>) {
    while let Ok(first) = queue.recv() {
        let mut waiting = first;
        for more in queue.try_iter() {
            waiting.extend(more);
        }
        if let Err(e) = flush() {
            // What reached the disk is unknown now, and a later flush could still
            // persist changes callers were told had failed. Stopping is the only
            // honest answer; on restart SQLite recovers what is on disk.
            tracing::error!(error = %e, "cannot flush the SQLite WAL; stopping");
            std::process::abort();
        }
        for (job, outcome) in waiting {
            job.finish(outcome);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;
    use crate::store::Conn;

    /// A job that reports when it is answered.
    struct Probe(u32, mpsc::Sender<u32>);

    impl Job for Probe {
        fn queued_at(&self) -> std::time::Instant {
            std::time::Instant::now()
        }

        fn run(&mut self, _: &mut Conn<'_>) -> StoreResult<()> {
            Ok(())
        }

        fn finish(self: Box<Self>, _: StoreResult<()>) {
            let _ = self.1.send(self.0);
        }
    }

    #[test]
    fn nothing_is_answered_before_a_flush_completes() {
        let (flushing, flushes) = mpsc::channel::<()>();
        let (release, released) = mpsc::channel::<()>();
        let released = std::sync::Mutex::new(released);
        let syncer = Syncer::with_flush(move || {
            flushing.send(()).unwrap();
            released.lock().unwrap().recv().unwrap();
            Ok(())
        });
        let (answers, answered) = mpsc::channel();
        syncer.answer_when_durable(vec![(Box::new(Probe(1, answers.clone())), Ok(()))]);
        flushes.recv().unwrap();
        // Committed while the first flush is under way: it waits for the next one.
        syncer.answer_when_durable(vec![(Box::new(Probe(2, answers.clone())), Ok(()))]);
        assert!(answered.recv_timeout(Duration::from_millis(100)).is_err(), "answered before the flush");
        release.send(()).unwrap();
        assert_eq!(answered.recv_timeout(Duration::from_secs(1)), Ok(1));
        assert!(
            answered.recv_timeout(Duration::from_millis(100)).is_err(),
            "2 was answered by a flush that began before it"
        );
        flushes.recv().unwrap();
        release.send(()).unwrap();
        assert_eq!(answered.recv_timeout(Duration::from_secs(1)), Ok(2));
    }
}
