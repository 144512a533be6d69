//! The OpenAPI 3.1 document. Every route is registered together with its operation
//! (utoipa-axum), so what `/openapi.json` describes is the router that serves it:
//! in production mode it leaves out the sandbox, and without a token the operator API.

use axum::Extension;
use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The document as served, rendered once when the router is built.
#[derive(Clone)]
pub struct Document(pub Bytes);

#[derive(OpenApi)]
#[openapi(
    info(
        title = "lunas",
        description = "A payment gateway that speaks iFortepay's SNAP and PG3 merchant APIs, \
            with a sandbox acquirer and an operator API. See docs/snap.md, docs/pg3.md, \
            docs/sandbox.md and docs/operations.md.",
    ),
    components(schemas(super::Problem)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "SNAP", description = "Bank Indonesia's SNAP as iFortepay speaks it: QRIS MPM and virtual accounts"),
        (name = "PG3", description = "iFortepay's PG3 virtual accounts"),
        (name = "Sandbox", description = "The sandbox acquirer: plays the customer's bank or wallet (sandbox mode only)"),
        (name = "Operator", description = "Merchants, payments and notifications, behind the operator token"),
        (name = "Monitoring", description = "Health, metrics and this document"),
    ),
)]
pub struct Base;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = |description: &str| {
            let mut scheme = Http::new(HttpAuthScheme::Bearer);
            scheme.description = Some(description.to_string());
            SecurityScheme::Http(scheme)
        };
        components.add_security_scheme(
            "snap_access_token",
            bearer("The access token of /v1.0/access-token/b2b, beside the SNAP signature headers"),
        );
        components.add_security_scheme("operator_token", bearer("`operator.token` from the configuration"));
        let mut basic = Http::new(HttpAuthScheme::Basic);
        basic.description = Some("base64(merchant_id:secret_unbound_id)".to_string());
        components.add_security_scheme("pg3_basic", SecurityScheme::Http(basic));
    }
}

/// This document.
#[utoipa::path(
    get, path = "/openapi.json", tag = "Monitoring",
    responses((status = 200, description = "OpenAPI 3.1", content_type = "application/json", body = Object)),
)]
pub async fn document(Extension(Document(json)): Extension<Document>) -> Response {
    ([(CONTENT_TYPE, "application/json")], json).into_response()
}
