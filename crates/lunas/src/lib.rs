//! lunas: a payment gateway that speaks iFortepay's merchant APIs.
//!
//! - [`domain`]: payments and their state machine (no HTTP, no SQL)
//! - [`store`]: durable business commands behind the [`store::Store`] trait
//! - [`api`]: the HTTP faces (SNAP, sandbox)
//! - [`outbox`]: the notification worker; [`housekeeping`]: pruning old rows
//! - [`acquirer`]: the acquirer trait and the sandbox simulator
//! - [`app`], [`cli`], [`config`]: running it

pub mod acquirer;
pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod housekeeping;
pub mod outbox;
pub mod store;
