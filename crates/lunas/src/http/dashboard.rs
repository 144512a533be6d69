//! The dashboard: three static files compiled into the binary, served under
//! `/dashboard/`. It is a client of the operator API, so it is served only where
//! that API is on; the data is behind the operator token, the page is not.

use axum::Router;
use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::{AppState, Problem};

const FILES: [(&str, &str, &str); 3] = [
    ("index.html", "text/html; charset=utf-8", include_str!("../../dashboard/index.html")),
    ("app.js", "text/javascript; charset=utf-8", include_str!("../../dashboard/app.js")),
    ("app.css", "text/css; charset=utf-8", include_str!("../../dashboard/app.css")),
];

/// Only the page's own files and the API it calls; images only as the QR's data URL.
const POLICY: &str =
    "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(|| async { Redirect::permanent("/dashboard/") }))
        .route("/dashboard/", get(|| async { file("index.html") }))
        .route("/dashboard/{file}", get(|Path(name): Path<String>| async move { file(&name) }))
}

fn file(name: &str) -> Response {
    match FILES.iter().find(|(file, ..)| *file == name) {
        Some((_, content_type, body)) => (
            [
                (CONTENT_TYPE, *content_type),
                // Small, and must follow the binary's version: revalidate every time.
                (CACHE_CONTROL, "no-cache"),
                (CONTENT_SECURITY_POLICY, POLICY),
                (X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            *body,
        )
            .into_response(),
        None => Problem::not_found("no such dashboard file").into_response(),
    }
}
