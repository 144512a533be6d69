//! The sandbox tools' views: the request log and the clock. Times as the operator
//! views give them.

use lunas_protocol::explain::Explanation;
use serde::Serialize;
use utoipa::ToSchema;

use super::operator::time;
use crate::app::sandbox::{ClockMove, LoggedRequest};
use crate::domain::Clock;

/// A logged call, as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestSummary {
    pub id: u64,
    pub at: String,
    /// The merchant the call claimed to come from.
    pub partner_id: Option<String>,
    /// `snap` or `pg3`.
    pub family: &'static str,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub latency_ms: f64,
    /// Whether the signature was refused (the entry then explains why).
    pub signature_refused: bool,
}

/// A header as it was sent, credentials masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeaderView {
    pub name: String,
    pub value: String,
}

/// A logged call in full.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestView {
    #[serde(flatten)]
    pub summary: RequestSummary,
    pub headers: Vec<HeaderView>,
    pub body: String,
    pub answer: String,
    /// For a refused signature: what lunas signed, and the mistake it found.
    pub explanation: Option<Explanation>,
}

pub fn request_summary(r: &LoggedRequest) -> RequestSummary {
    RequestSummary {
        id: r.id,
        at: time(r.at),
        partner_id: r.partner_id.clone(),
        family: r.family,
        method: r.method.clone(),
        path: r.path.clone(),
        status: r.status,
        latency_ms: r.latency_us as f64 / 1000.0,
        signature_refused: r.explanation.is_some(),
    }
}

pub fn request(r: LoggedRequest) -> RequestView {
    RequestView {
        summary: request_summary(&r),
        headers: r.headers.into_iter().map(|(name, value)| HeaderView { name, value }).collect(),
        body: r.body,
        answer: r.answer,
        explanation: r.explanation,
    }
}

/// The sandbox's time and how it got there.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClockView {
    pub now: String,
    /// How far ahead of real time.
    pub skew_seconds: f64,
    pub moves: Vec<MoveView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MoveView {
    /// When the move was made, in real time.
    pub at: String,
    /// Forward; negative for a reset.
    pub by_seconds: f64,
    /// The sandbox's time right after it.
    pub now: String,
}

pub fn clock(clock: &Clock, moves: Vec<ClockMove>) -> ClockView {
    ClockView {
        now: time(clock.now()),
        skew_seconds: clock.sandbox_shift_ms() as f64 / 1000.0,
        moves: moves
            .into_iter()
            .map(|m| MoveView { at: time(m.at), by_seconds: m.by_ms as f64 / 1000.0, now: time(m.now) })
            .collect(),
    }
}
