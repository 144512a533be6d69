//! `lunas-bench`: starts lunas on a fresh database, creates a merchant, pre-signs
//! unique requests and replays them with wrk: QRIS generate, query and cancel, SNAP
//! VA create and delete, PG3 VA create and cancel. Each figure is printed next to the bare baseline (the same
//! requests against an axum handler doing only parse, body hash and HMAC) measured in
//! the same run. `scripts/bench` builds it in release and runs it; see
//! docs/performance.md.

mod baseline;
mod load;
mod requests;
mod target;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use lunas_protocol::crypto::RsaPrivateKey;

use crate::load::{Load, Measured};
use crate::requests::{RequestFile, Signer, Written, captured, qrs, vas};
use crate::target::{Postgres, Process};

#[derive(Parser)]
#[command(about = "Measure lunas next to a bare baseline in the same run")]
struct Cli {
    #[command(subcommand)]
    command: Option<Sub>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum Sub {
    /// The bare baseline server (the bench starts it itself).
    #[command(hide = true)]
    Baseline {
        #[arg(long)]
        listen: SocketAddr,
        #[arg(long)]
        secret: String,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// The lunas binary (default: `lunas` next to this one).
    #[arg(long)]
    lunas: Option<PathBuf>,
    /// Concurrent connections.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Load-generator threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// QRIS generates and VA creates (SNAP and PG3) per run; queries are twice as
    /// many, and every payment created is cancelled or deleted once.
    #[arg(long, default_value_t = 100_000)]
    requests: usize,
    /// Payments stored before the measured run starts.
    #[arg(long, default_value_t = 0)]
    payments: usize,
    /// Run on a fresh database on this PostgreSQL server (and run pgbench there)
    /// instead of SQLite.
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
    /// Keep the working directory (lunas.log, the database, the request files).
    #[arg(long)]
    keep: bool,
    /// lunas' mode: production (what operators run), or sandbox, whose request log
    /// keeps a copy of every call.
    #[arg(long, default_value = "production")]
    mode: String,
}

/// One scenario's figures.
struct Row {
    name: &'static str,
    lunas: Measured,
    baseline: Measured,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    match cli.command {
        Some(Sub::Baseline { listen, secret }) => runtime.block_on(baseline::serve(listen, secret)),
        None => runtime.block_on(run(cli.run)),
    }
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let bin = args.lunas.clone().map_or_else(|| target::sibling("lunas"), Ok)?;
    let dir = tempfile::Builder::new().prefix("lunas-bench-").disable_cleanup(args.keep).tempdir()?;
    if args.keep {
        progress(&format!("working in {}", dir.path().display()));
    }
    let load = Load::new(dir.path(), args.connections, args.threads)?;
    let mut postgres = args.postgres.clone().map(Postgres::new);
    let database = match &mut postgres {
        Some(pg) => pg.create("lunas_bench")?,
        None => format!("sqlite:{}", dir.path().join("lunas.db").display()),
    };
    let pgbench = match &mut postgres {
        Some(pg) => {
            progress("pgbench --skip-some-updates");
            Some(pg.pgbench(args.connections, args.threads, 10)?)
        }
        None => None,
    };

    let callback = target::callback_sink().await?;
    let key = RsaPrivateKey::generate();
    let merchant = target::merchant(&bin, &database, &key, dir.path(), &callback)?;
    let lunas = target::lunas(&bin, &database, &args.mode, dir.path())?;
    let baseline = target::baseline(&merchant.client_secret)?;
    let token = target::token(lunas.port, &merchant, &key).await?;
    let tag = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
    let mut bench =
        Bench { signer: Signer::new(merchant, token, tag, callback), load, dir: dir.path(), lunas, baseline };

    bench.prefill(args.payments)?;
    let rows = bench.scenarios(args.requests, &key).await?;
    report(&args, &rows, bench.lunas.peak_rss_kib(), pgbench);
    let failed: u64 = rows.iter().map(|r| r.lunas.status_errors + r.lunas.socket_errors).sum();
    anyhow::ensure!(failed == 0, "{failed} requests failed (not 2xx): those figures do not measure lunas");
    Ok(())
}

struct Bench<'a> {
    signer: Signer,
    load: Load,
    dir: &'a Path,
    lunas: Process,
    baseline: Process,
}

impl Bench<'_> {
    /// Builds a request file of `count` records made by `make`.
    fn file(
        &mut self,
        name: &str,
        count: usize,
        mut make: impl FnMut(&mut Signer, usize) -> Vec<u8>,
    ) -> anyhow::Result<Written> {
        let mut file = RequestFile::create(&self.dir.join(name), self.load.threads)?;
        for i in 0..count {
            file.push(&make(&mut self.signer, i))?;
        }
        file.finish()
    }

    /// Stores `payments` QRIS payments through the API, unmeasured, in slices that
    /// stay inside the signature's timestamp window.
    fn prefill(&mut self, payments: usize) -> anyhow::Result<()> {
        let mut done = 0;
        while done < payments {
            let slice = (payments - done).min(200_000);
            let file = self.file("prefill", slice, |s, _| s.generate())?;
            self.load.replay(self.lunas.port, &file, None)?;
            done += slice;
            progress(&format!("{done} payments stored"));
        }
        Ok(())
    }

    /// Replays `file` against lunas (capturing answers to `capture` when given), then
    /// against the baseline.
    fn measure(&self, name: &'static str, file: &Written, capture: Option<&Path>) -> anyhow::Result<Row> {
        progress(name);
        let lunas = self.load.replay(self.lunas.port, file, capture)?;
        let baseline = self.load.replay(self.baseline.port, file, None)?;
        Ok(Row { name, lunas, baseline })
    }

    async fn scenarios(&mut self, requests: usize, key: &RsaPrivateKey) -> anyhow::Result<Vec<Row>> {
        let threads = self.load.threads;
        let mut rows = Vec::new();
        // A fresh token for each SNAP scenario keeps a long run inside its lifetime.
        let refresh = async |bench: &mut Self| -> anyhow::Result<()> {
            bench.signer.token = target::token(bench.lunas.port, &bench.signer.merchant, key).await?;
            Ok(())
        };

        refresh(self).await?;
        let generated = self.dir.join("generated");
        let file = self.file("generate", requests, |s, _| s.generate())?;
        rows.push(self.measure("SNAP QRIS generate", &file, Some(&generated))?);
        let qrs = qrs(&captured(&generated, threads)?);

        refresh(self).await?;
        let file = self.file("query", 2 * qrs.len(), |s, i| s.query(&qrs[i % qrs.len()]))?;
        rows.push(self.measure("SNAP QRIS query", &file, None)?);

        refresh(self).await?;
        let file = self.file("cancel", qrs.len(), |s, i| s.cancel(&qrs[i]))?;
        rows.push(self.measure("SNAP QRIS cancel", &file, None)?);

        refresh(self).await?;
        let opened = self.dir.join("opened");
        let file = self.file("snap-va-create", requests, |s, _| s.snap_va_create())?;
        rows.push(self.measure("SNAP VA create", &file, Some(&opened))?);
        let snap_vas: Vec<_> =
            captured(&opened, threads)?.into_iter().map(|b| b["virtualAccountData"].clone()).collect();
        refresh(self).await?;
        let file = self.file("snap-va-delete", snap_vas.len(), |s, i| s.snap_va_delete(&snap_vas[i]))?;
        rows.push(self.measure("SNAP VA delete", &file, None)?);

        let created = self.dir.join("created");
        let file = self.file("va-create", requests, |s, _| s.va_create())?;
        rows.push(self.measure("PG3 VA create", &file, Some(&created))?);
        let vas = vas(&captured(&created, threads)?);
        let file = self.file("va-cancel", vas.len(), |s, i| s.va_cancel(&vas[i]))?;
        rows.push(self.measure("PG3 VA cancel", &file, None)?);
        Ok(rows)
    }
}

fn report(args: &RunArgs, rows: &[Row], peak_rss_kib: Option<u64>, pgbench: Option<f64>) {
    let engine = if args.postgres.is_some() { "PostgreSQL" } else { "SQLite" };
    println!(
        "lunas-bench: {engine}, {} connections, {} wrk threads, {} payments stored before the run\n",
        args.connections, args.threads, args.payments
    );
    println!("| scenario | requests | lunas req/s | p50 ms | p99 ms | not 2xx | baseline req/s | lunas/baseline |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for Row { name, lunas, baseline } in rows {
        let errors = lunas.status_errors + lunas.socket_errors;
        println!(
            "| {name} | {} | {:.0} | {:.1} | {:.1} | {errors} | {:.0} | {:.3} |",
            lunas.requests,
            lunas.rate(),
            lunas.p50_us as f64 / 1000.0,
            lunas.p99_us as f64 / 1000.0,
            baseline.rate(),
            lunas.rate() / baseline.rate(),
        );
    }
    if let Some(kib) = peak_rss_kib {
        println!("\nlunas peak resident memory: {:.1} MiB", kib as f64 / 1024.0);
    }
    if let Some(tps) = pgbench {
        let cancel = rows.iter().find(|r| r.name == "SNAP QRIS cancel").map_or(0.0, |r| r.lunas.rate());
        println!(
            "pgbench --skip-some-updates on the same server: {tps:.0} tps; QRIS cancel / pgbench = {:.3}",
            cancel / tps
        );
    }
}

fn progress(what: &str) {
    eprintln!("lunas-bench: {what}");
}
