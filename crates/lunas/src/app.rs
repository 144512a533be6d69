//! Start-up and shutdown: open the store, start the outbox worker, serve HTTP, and on
//! a signal stop accepting, finish requests in flight and let the worker wind down.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::acquirer::Simulator;
use crate::api::{AppState, router};
use crate::config::Config;
use crate::domain::Clock;
use crate::outbox::Worker;
use crate::store::{SqlStore, Store};

/// Opens the store the URL names (`sqlite:PATH` or `postgres://…`), creating and
/// migrating it.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    Ok(Arc::new(SqlStore::open(&config.database_url, &config.database).await?))
}

/// A running gateway.
pub struct App {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    worker: JoinHandle<()>,
}

impl App {
    /// Starts serving on `listener` (tests pass a port-0 listener and their own clock).
    pub async fn start(config: Config, listener: TcpListener, clock: Clock) -> anyhow::Result<App> {
        let store = open_store(&config).await?;
        let addr = listener.local_addr()?;
        let state = AppState {
            store: Arc::clone(&store),
            acquirer: Arc::new(Simulator::new(config.qris.clone())),
            config: Arc::new(config.clone()),
            clock: clock.clone(),
            outbox_wake: Arc::new(Notify::new()),
        };
        let (shutdown, signal) = watch::channel(false);
        let worker = Arc::new(Worker {
            store: Arc::clone(&store),
            http: Worker::http_client(&config.callbacks)?,
            config: config.callbacks.clone(),
            clock: clock.clone(),
            wake: Arc::clone(&state.outbox_wake),
        });
        let worker = tokio::spawn(worker.run(signal.clone()));
        // Housekeeping holds nothing that needs finishing; it stops with the runtime.
        tokio::spawn(crate::housekeeping::run(store, clock, signal.clone()));
        let mut server_signal = signal;
        let server = tokio::spawn(
            axum::serve(listener, router(state.clone()))
                .with_graceful_shutdown(async move {
                    let _ = server_signal.wait_for(|stop| *stop).await;
                })
                .into_future(),
        );
        tracing::info!(%addr, mode = ?config.mode, "lunas is listening");
        Ok(App { addr, state, shutdown, server, worker })
    }

    /// Stops accepting, waits for requests in flight and the worker's current pass.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        self.server.await.context("server task")?.context("server")?;
        self.worker.await.context("outbox worker task")?;
        Ok(())
    }
}

/// `lunas serve`: runs until SIGINT or SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let listener =
        TcpListener::bind(config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
    if config.mode == crate::config::Mode::Sandbox && !config.listen.ip().is_loopback() {
        tracing::warn!(
            listen = %config.listen,
            "sandbox mode on a public address: anyone can mark payments paid through /sandbox; use --mode production"
        );
    }
    let app = App::start(config, listener, Clock::default()).await?;
    shutdown_signal().await;
    tracing::info!("shutting down");
    app.stop().await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
