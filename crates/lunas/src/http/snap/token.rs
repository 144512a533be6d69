//! Access token B2B (service 73): the merchant proves its RSA key over
//! `clientKey|timestamp` and gets an opaque bearer token for 900 seconds.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use lunas_protocol::crypto::token_string_to_sign;
use lunas_protocol::explain::explain_token;
use lunas_protocol::snap::headers::{CONTENT_TYPE, X_CLIENT_KEY, X_SIGNATURE, X_TIMESTAMP};
use lunas_protocol::snap::token::{TokenRequest, TokenResponse};
use lunas_protocol::snap::{Case, ErrorResponse, ResponseCode, Service};
use lunas_protocol::validate::parse_body;

use super::auth::{check_content_type, check_timestamp, public_key, read_body, required_headers};
use super::{SnapError, json};
use crate::app::{merchants, tokens};
use crate::http::request_log::Trace;
use crate::http::{AppState, examples};

/// The headers of the token request.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // read by the OpenAPI document only
struct TokenHeaders {
    /// Local time with offset; at most 5 minutes off.
    #[param(rename = "X-TIMESTAMP")]
    timestamp: String,
    /// The merchant's `partnerId`.
    #[param(rename = "X-CLIENT-KEY")]
    client_key: String,
    /// Base64 RSA-SHA256 over `X-CLIENT-KEY|X-TIMESTAMP` with the merchant's private key.
    #[param(rename = "X-SIGNATURE")]
    signature: String,
}

/// Declares the token endpoint at a path (iFortepay serves two).
macro_rules! token_endpoint {
    ($name:ident, $path:literal) => {
        /// Access token B2B (73): a bearer token for 900 seconds.
        #[utoipa::path(
                    post, path = $path, tag = "SNAP", params(TokenHeaders),
                    request_body(content = TokenRequest, example = json!(examples::access_token())),
                    responses(
                        (status = 200, description = "Issued", body = TokenResponse),
                        (status = "4XX", description = "Refused; `responseCode` says why", body = ErrorResponse),
                        (status = "5XX", description = "Failed", body = ErrorResponse),
                    ),
                )]
        pub async fn $name(state: State<AppState>, request: Request) -> Response {
            access_token(state, request).await
        }
    };
}

token_endpoint!(access_token_v1, "/v1.0/access-token/b2b");
token_endpoint!(access_token_auth, "/auth/merchants/v1.0/access-token/b2b");

async fn access_token(State(state): State<AppState>, request: Request) -> Response {
    match issue(&state, request).await {
        Ok((client_key, body)) => {
            let mut response = json(StatusCode::OK, &body, &state);
            if let Ok(value) = HeaderValue::from_str(&client_key) {
                response.headers_mut().insert(X_CLIENT_KEY, value);
            }
            response
        }
        Err(error) => error.into_response(Service::AccessTokenB2b, &state),
    }
}

async fn issue(state: &AppState, request: Request) -> Result<(String, TokenResponse), SnapError> {
    let (parts, body) = request.into_parts();
    let [timestamp, client_key, signature, content_type] =
        required_headers(&parts.headers, [X_TIMESTAMP, X_CLIENT_KEY, X_SIGNATURE, CONTENT_TYPE])?;
    check_content_type(content_type)?;
    let (timestamp, _) = check_timestamp(state, timestamp)?;
    let body = read_body(state, body).await?;

    let merchant = merchants::by_partner_id(state, client_key)
        .await?
        .ok_or_else(|| SnapError::unauthorized("Unknown X-CLIENT-KEY"))?;
    let key = public_key(&merchant, X_CLIENT_KEY)?;
    if !key.verify_base64(&token_string_to_sign(client_key, timestamp), signature) {
        Trace::explain(parts.extensions.get(), || {
            explain_token(client_key, timestamp, |sts| key.verify_base64(sts, signature))
        });
        return Err(SnapError::unauthorized("Invalid X-SIGNATURE"));
    }
    parse_body::<TokenRequest>(&body)?.validate()?;

    let token = tokens::issue(state, &merchant).await?;
    Ok((
        merchant.partner_id.clone(),
        TokenResponse {
            response_code: ResponseCode::new(Service::AccessTokenB2b, Case::Successful).to_string(),
            response_message: Case::Successful.message().to_string(),
            access_token: token,
            token_type: "Bearer".to_string(),
            expires_in: tokens::TOKEN_TTL_SECS.to_string(),
            additional_info: serde_json::Map::new(),
        },
    ))
}
