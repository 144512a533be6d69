//! lunas: a payment gateway that speaks iFortepay's merchant APIs.
//!
//! The layers, each importing only those below it:
//!
//! - [`http`]: the SNAP and PG3 faces and the sandbox routes (parse, call, render)
//! - [`workers`]: notification delivery and housekeeping
//! - [`app`]: the application layer, one module per use case
//! - [`render`]: how each API family describes a payment (domain to wire)
//! - [`store`]: durable primitives over SQLite or PostgreSQL
//! - [`acquirer`]: the acquirer trait and the sandbox simulator
//! - [`domain`]: payments and their state machine (no HTTP, no SQL)
//! - [`server`], [`cli`], [`config`]: running it

pub mod acquirer;
pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod http;
pub mod render;
pub mod server;
pub mod store;
pub mod workers;
