//! The bare baseline: an axum handler that does the signed work every lunas request
//! starts with (parse the JSON body, hash it, HMAC-SHA512 the string to sign) and
//! nothing else. Whatever lunas does beyond this is what the ratio measures.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use lunas_protocol::crypto::{constant_time_eq, hmac_sha512_base64, symmetric_string_to_sign};

/// Serves until killed. `secret` is the merchant's SNAP client secret, so signed SNAP
/// requests verify; PG3 requests carry no such signature and get the same work done.
pub async fn serve(listen: SocketAddr, secret: String) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let secret: &'static [u8] = secret.leak().as_bytes();
    axum::serve(listener, Router::new().fallback(handle).with_state(secret)).await?;
    Ok(())
}

async fn handle(
    State(secret): State<&'static [u8]>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    if serde_json::from_slice::<serde_json::Value>(&body).is_err() {
        return (StatusCode::BAD_REQUEST, r#"{"error":"body"}"#);
    }
    let token = header("authorization").trim_start_matches("Bearer ");
    let sts = symmetric_string_to_sign("POST", uri.path(), token, &body, header("x-timestamp"));
    let verified = constant_time_eq(hmac_sha512_base64(secret, &sts).as_bytes(), header("x-signature").as_bytes());
    (StatusCode::OK, if verified { r#"{"verified":true}"# } else { r#"{"verified":false}"# })
}
