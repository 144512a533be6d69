//! Domain to wire: how each API family describes a payment, in answers and in
//! notifications, and how a notification is signed for sending. Pure functions; the
//! HTTP faces and the outbox worker both use them, so an answer and a notification
//! about the same payment cannot disagree.

pub mod notice;
pub mod operator;
pub mod pg3;
pub mod qr_image;
pub mod sandbox;
pub mod snap;
pub mod snap_va;

/// One HTTP request to a merchant, built and signed.
#[derive(Debug, Clone)]
pub struct OutboundRequest {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}
