//! Integration tests: each starts the real server on port 0 with a fresh SQLite
//! database and talks HTTP to it. One binary, so it links once.

mod helpers;

mod auth;
mod cli;
mod client;
mod devtools;
mod errors;
mod instances;
mod metrics;
mod notify;
mod openapi;
mod operator;
mod pg3;
mod qr;
mod race;
mod refund;
mod sandbox;
mod snap_va;
mod store;
mod token;
mod upgrade;
