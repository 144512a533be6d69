//! The error shape of everything that is neither SNAP nor PG3 (the sandbox, the
//! operator API, health and paths nobody serves): `{"error", "message"}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::openapi::{self, Content, Ref, RefOr, ResponseBuilder};

use crate::app::AppError;
use crate::domain::DomainError;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(skip)]
    pub status: StatusCode,
    /// A stable snake_case word: `bad_request`, `not_found`, `unauthorized`, ...
    #[schema(example = "not_found")]
    pub error: String,
    /// What was wrong, naming the field when there is one.
    pub message: String,
}

impl Problem {
    pub fn new(status: StatusCode, error: impl Into<String>, message: impl Into<String>) -> Self {
        Self { status, error: error.into(), message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// A JSON body, or a refusal naming what is wrong with it.
    pub fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Self> {
        serde_json::from_slice(body).map_err(|e| Self::bad_request(format!("invalid body: {e}")))
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// A failure that is lunas's, not the caller's: logged, and told as little as possible.
    pub fn internal(error: &dyn std::fmt::Display) -> Self {
        tracing::error!(%error, "request failed");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error")
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        (self.status, Json(self)).into_response()
    }
}

impl From<AppError> for Problem {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Domain(DomainError::NotFound) => Self::not_found(e.to_string()),
            AppError::Domain(
                DomainError::AmountMismatch { .. }
                | DomainError::AmountOutOfRange { .. }
                | DomainError::FractionalAmount { .. },
            ) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, "amount_not_accepted", e.to_string()),
            AppError::Domain(_) => Self::new(StatusCode::CONFLICT, "invalid_state", e.to_string()),
            AppError::Invalid(reason) => Self::bad_request(reason),
            AppError::Acquirer(_) | AppError::Internal(_) => Self::internal(&e),
        }
    }
}

/// The refusals any sandbox or operator call may answer, for the OpenAPI document.
pub struct Refusals;

impl utoipa::IntoResponses for Refusals {
    fn responses() -> BTreeMap<String, RefOr<openapi::Response>> {
        let problem = |description: &str| {
            let content = Content::new(Some(Ref::from_schema_name("Problem")));
            RefOr::T(ResponseBuilder::new().description(description).content("application/json", content).build())
        };
        BTreeMap::from([
            ("4XX".to_string(), problem("Refused; `error` and `message` say why")),
            ("5XX".to_string(), problem("Failed or timed out")),
        ])
    }
}
