//! The sandbox's request log: every SNAP and PG3 call, with its answer, kept in
//! memory for the dashboard and the operator API. Only layered in sandbox mode.
//!
//! Authentication leaves an explanation of a refused signature in the request's
//! [`Trace`]; it is computed only when a trace is there, so production never pays it.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use futures_util::StreamExt;
use lunas_protocol::explain::Explanation;
use lunas_protocol::pg3::parse_basic_authorization;
use lunas_protocol::snap::headers::{X_CLIENT_KEY, X_PARTNER_ID};

use super::{AppState, Family};
use crate::app::sandbox::LoggedRequest;

/// Where authentication explains a refused signature.
#[derive(Clone, Default)]
pub struct Trace(Arc<OnceLock<Explanation>>);

impl Trace {
    /// Records why the signature was refused; `explain` runs only when a request
    /// is being logged.
    pub fn explain(trace: Option<&Trace>, explain: impl FnOnce() -> Explanation) {
        if let Some(trace) = trace {
            let _ = trace.0.set(explain());
        }
    }
}

/// Headers whose values are credentials or signatures: shown only by their start.
const MASKED: [&str; 4] = ["authorization", "x-signature", "x-req-signature", "x-client-secret"];

/// How much of a body is kept.
const BODY_BYTES: usize = 16 * 1024;

pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let family = super::family(request.uri().path());
    let Some(sandbox) = state.sandbox.as_ref().filter(|_| !matches!(family, Family::Other)) else {
        return next.run(request).await;
    };
    let started = Instant::now();
    let at = state.clock.now();
    let (mut parts, body) = request.into_parts();
    // The handler reads the body under its own limits and timeout; the log keeps a
    // copy of the start of what it read.
    let (body, seen) = tee(body);
    let trace = Trace::default();
    parts.extensions.insert(trace.clone());
    let method = parts.method.to_string();
    let path = parts.uri.path_and_query().map_or_else(|| parts.uri.path().to_string(), ToString::to_string);
    let headers = masked(&parts.headers);
    let partner_id = partner_id(&parts.headers);
    let response = next.run(Request::from_parts(parts, body)).await;

    let (parts, answer) = response.into_parts();
    let answer = axum::body::to_bytes(answer, usize::MAX).await.unwrap_or_default();
    let logged = logged_answer(&path, &answer);
    sandbox.requests.push(LoggedRequest {
        id: 0,
        at,
        partner_id,
        family: family.label(),
        method,
        path,
        headers,
        body: excerpt(&std::mem::take(&mut *seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner))),
        status: parts.status.as_u16(),
        answer: logged,
        latency_us: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        explanation: Arc::into_inner(trace.0).and_then(OnceLock::into_inner),
    });
    Response::from_parts(parts, Body::from(answer))
}

/// The body as it streams to the handler, and its first [`BODY_BYTES`] as read so far.
fn tee(body: Body) -> (Body, Arc<Mutex<Vec<u8>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let copy = Arc::clone(&seen);
    let stream = body.into_data_stream().inspect(move |chunk| {
        if let Ok(chunk) = chunk {
            let mut copy = copy.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let room = BODY_BYTES.saturating_sub(copy.len());
            copy.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
    });
    (Body::from_stream(stream), seen)
}

fn excerpt(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(BODY_BYTES)]).into_owned()
}

/// The merchant a call claims to come from: SNAP's header, or PG3's Basic user.
fn partner_id(headers: &HeaderMap) -> Option<String> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    text(X_PARTNER_ID)
        .or_else(|| text(X_CLIENT_KEY))
        .map(str::to_string)
        .or_else(|| text("authorization").and_then(parse_basic_authorization).map(|(user, _)| user))
        .filter(|id| !id.is_empty())
}

fn masked(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes());
            let shown = if MASKED.contains(&name.as_str()) { mask(&value) } else { value.into_owned() };
            (name.to_string(), shown)
        })
        .collect()
}

/// `Bearer abc123…`, `Basic` with its user only, or a signature's first characters.
fn mask(value: &str) -> String {
    if let Some((user, _)) = parse_basic_authorization(value) {
        return format!("Basic {user}:…");
    }
    let (scheme, secret) = value.split_once(' ').map_or(("", value), |(s, rest)| (s, rest));
    let start: String = secret.chars().take(6).collect();
    if scheme.is_empty() { format!("{start}…") } else { format!("{scheme} {start}…") }
}

/// The start of an answer; a token answer with its `accessToken` masked (the log
/// shows calls, not credentials). Only token answers are parsed.
fn logged_answer(path: &str, answer: &Bytes) -> String {
    if path.split('?').next().is_some_and(|p| p.ends_with("/access-token/b2b")) {
        excerpt(&mask_token(answer))
    } else {
        excerpt(answer)
    }
}

fn mask_token(answer: &Bytes) -> Vec<u8> {
    let token = serde_json::from_slice::<serde_json::Value>(answer)
        .ok()
        .and_then(|body| body.get("accessToken")?.as_str().filter(|t| !t.is_empty()).map(str::to_string));
    match token {
        Some(token) => String::from_utf8_lossy(answer).replace(&token, &mask(&token)).into_bytes(),
        None => answer.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_masked() {
        assert_eq!(mask("Bearer abcdefghijkl"), "Bearer abcdef…");
        assert_eq!(mask("Basic TUNQMjAyMTExMDIyODpzZWNyZXQtdW5ib3VuZA=="), "Basic MCP2021110228:…");
        assert_eq!(mask("c2lnbmF0dXJl"), "c2lnbm…");
        let answer = Bytes::from_static(br#"{"responseCode":"2007300","accessToken":"secret-token-value"}"#);
        let masked = String::from_utf8(mask_token(&answer)).unwrap();
        assert!(masked.contains(r#""accessToken":"secret…""#) && !masked.contains("token-value"), "{masked}");
    }
}
