//! Start-up and shutdown: open the store, start the outbox worker, serve HTTP, and on
//! a signal stop accepting, finish requests in flight and let the worker wind down.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::acquirer::Simulator;
use crate::app::Gateway;
use crate::config::Config;
use crate::domain::Clock;
use crate::http::router;
use crate::store::Store;
use crate::workers::delivery::Worker;

/// Opens the database the configuration names (`sqlite:PATH` or `postgres://…`),
/// creating and migrating it, and everything the use cases need around it.
pub async fn open(config: Config, clock: Clock) -> anyhow::Result<Arc<Gateway>> {
    let store = Store::open(&config.database_url, &config.database, clock.now()).await?;
    let acquirer = Arc::new(Simulator::new(config.qris.clone()));
    Ok(Arc::new(Gateway::new(store, acquirer, Arc::new(config), clock)))
}

/// A running gateway.
pub struct Server {
    pub addr: SocketAddr,
    pub gateway: Arc<Gateway>,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    worker: JoinHandle<()>,
}

impl Server {
    /// Starts serving on `listener` (tests pass a port-0 listener and their own clock).
    pub async fn start(config: Config, listener: TcpListener, clock: Clock) -> anyhow::Result<Server> {
        let mode = config.mode;
        let gateway = open(config, clock).await?;
        let addr = listener.local_addr()?;
        let (shutdown, signal) = watch::channel(false);
        let worker = tokio::spawn(Arc::new(Worker::new(Arc::clone(&gateway))?).run(signal.clone()));
        // Housekeeping holds nothing that needs finishing; it stops with the runtime.
        tokio::spawn(crate::workers::housekeeping::run(Arc::clone(&gateway), signal.clone()));
        let mut server_signal = signal;
        let server = tokio::spawn(
            axum::serve(listener, router(Arc::clone(&gateway)))
                .with_graceful_shutdown(async move {
                    let _ = server_signal.wait_for(|stop| *stop).await;
                })
                .into_future(),
        );
        tracing::info!(%addr, ?mode, "lunas is listening");
        Ok(Server { addr, gateway, shutdown, server, worker })
    }

    /// Stops accepting, waits for requests in flight and the deliveries under way.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        self.server.await.context("server task")?.context("server")?;
        self.worker.await.context("outbox worker task")?;
        Ok(())
    }
}

/// `lunas serve`: runs until SIGINT or SIGTERM.
pub async fn serve(mut config: Config) -> anyhow::Result<()> {
    let listener =
        TcpListener::bind(config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
    if config.mode == crate::config::Mode::Sandbox && !config.listen.ip().is_loopback() {
        tracing::warn!(
            listen = %config.listen,
            "sandbox mode on a public address: anyone can mark payments paid through /sandbox; use --mode production"
        );
    }
    let dashboard = sandbox_operator_token(&mut config);
    let app = Server::start(config, listener, Clock::default()).await?;
    if let Some(token) = dashboard {
        // Printed once, not logged: the one way a sandbox user learns it.
        eprintln!(
            "\nThe dashboard: http://{}/dashboard/\nSign in with this run's operator token: {token}\n\
             (set LUNAS_OPERATOR_TOKEN to choose one that lasts)\n",
            app.addr
        );
    }
    shutdown_signal().await;
    tracing::info!("shutting down");
    app.stop().await
}

/// In the sandbox without an operator token, a random one for this run, so the
/// dashboard works out of the box; production never gets one it was not given.
fn sandbox_operator_token(config: &mut Config) -> Option<String> {
    if config.mode != crate::config::Mode::Sandbox || config.operator.token.is_some() {
        return None;
    }
    let token = crate::domain::generate_secret(40);
    config.operator.token = Some(token.clone());
    Some(token)
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
