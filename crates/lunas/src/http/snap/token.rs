//! Access token B2B (service 73): the merchant proves its RSA key over
//! `clientKey|timestamp` and gets an opaque bearer token for 900 seconds.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use lunas_protocol::crypto::token_string_to_sign;
use lunas_protocol::snap::headers::{CONTENT_TYPE, X_CLIENT_KEY, X_SIGNATURE, X_TIMESTAMP};
use lunas_protocol::snap::token::{TokenRequest, TokenResponse};
use lunas_protocol::snap::{Case, ResponseCode, Service};
use lunas_protocol::validate::parse_body;

use super::auth::{check_content_type, check_timestamp, public_key, read_body, required_headers};
use super::{SnapError, json};
use crate::app::{merchants, tokens};
use crate::http::AppState;

pub async fn access_token(State(state): State<AppState>, request: Request) -> Response {
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
    if !public_key(&merchant, X_CLIENT_KEY)?.verify_base64(&token_string_to_sign(client_key, timestamp), signature) {
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
