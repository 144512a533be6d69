//! A merchant's client for lunas and iFortepay: every SNAP and
//! PG3 call lunas serves, signed as the standards say, with the request and answer
//! types of `lunas-protocol` (the ones the gateway itself parses and renders, so the
//! two cannot disagree); and the other direction, checking that an incoming
//! notification or callback is genuine.
//!
//! # Calling the gateway
//!
//! ```no_run
//! use lunas_client::protocol::crypto::RsaPrivateKey;
//! use lunas_client::protocol::snap::MoneyIn;
//! use lunas_client::protocol::snap::qr::{GenerateAdditionalInfo, GenerateQrRequest};
//! use lunas_client::{SnapClient, SnapConfig};
//!
//! # async fn run() -> Result<(), lunas_client::Error> {
//! let key = RsaPrivateKey::from_pem(&std::fs::read_to_string("merchant.key").unwrap()).unwrap();
//! let snap = SnapClient::new(SnapConfig::new("http://127.0.0.1:8080", "LNS0123456789", "client-secret", key))?;
//! let qr = snap
//!     .qr_generate(&GenerateQrRequest {
//!         partner_reference_no: Some("INV-1001".into()),
//!         amount: Some(MoneyIn { value: Some("15000.00".into()), currency: Some("IDR".into()) }),
//!         additional_info: Some(GenerateAdditionalInfo {
//!             callback_url: Some("https://shop.example/notify".into()),
//!             ..Default::default()
//!         }),
//!         ..Default::default()
//!     })
//!     .await?;
//! println!("show this QR: {}", qr.qr_content);
//! # Ok(()) }
//! ```
//!
//! The B2B access token is fetched on the first call, cached, and replaced shortly
//! before it expires; concurrent calls wait for one refresh. Queries and inquiries are
//! retried after a connection failure or a `5xx`; creates, cancels and refunds are
//! not (a retry could act twice), and a refusal comes back as [`Error::Snap`] or
//! [`Error::Pg3`] with the gateway's code and message.
//!
//! # Verifying callbacks
//!
//! [`verify::verify_snap_notification`] and [`verify::verify_pg3_callback`] take the
//! raw headers and body; with the `axum` feature, [`extract::VerifiedSnapNotification`]
//! and [`extract::VerifiedPg3Callback`] do it before the handler runs:
//!
//! ```
//! # #[cfg(feature = "axum")] {
//! use std::time::Duration;
//!
//! use axum::Router;
//! use axum::routing::post;
//! use lunas_client::extract::VerifiedSnapNotification;
//! use lunas_client::verify::CallbackKeys;
//!
//! async fn notify(VerifiedSnapNotification(body): VerifiedSnapNotification) -> &'static str {
//!     // Genuine: update the order named in `body`, once (repeats come).
//!     let _ = body;
//!     r#"{"responseCode":"2005200","responseMessage":"Successful"}"#
//! }
//!
//! let keys = CallbackKeys {
//!     notify_url: "https://shop.example/notify".into(),
//!     client_secret: "client-secret".into(),
//!     hash_key: "hash-key".into(),
//!     max_age: Duration::from_secs(300),
//! };
//! let app: Router = Router::new().route("/notify", post(notify)).with_state(keys);
//! # let _ = app; }
//! ```

pub mod check;
mod error;
#[cfg(feature = "axum")]
pub mod extract;
pub mod pg3;
pub mod snap;
mod transport;
pub mod verify;

pub use error::{Error, Result};
pub use lunas_protocol as protocol;
pub use pg3::{Pg3Client, Pg3Config};
pub use snap::{Signing, SnapClient, SnapConfig};
pub use transport::Transport;
