//! Every SNAP failure as one type, mapped once to `responseCode` and message.

use axum::http::StatusCode;
use axum::response::Response;
use lunas_protocol::snap::{Case, ErrorResponse, ResponseCode, Service};
use lunas_protocol::validate::{BodyError, FieldError, Problem};

use super::super::AppState;
use crate::app::AppError;
use crate::domain::{DomainError, PaymentState};

#[derive(Debug)]
pub struct SnapError {
    pub case: Case,
    /// Appended to the table's message: a field name or a reason.
    pub detail: Option<String>,
}

impl SnapError {
    pub fn new(case: Case, detail: impl Into<String>) -> Self {
        Self { case, detail: Some(detail.into()) }
    }

    pub fn plain(case: Case) -> Self {
        Self { case, detail: None }
    }

    pub fn missing(field: &str) -> Self {
        Self::new(Case::InvalidMandatoryField, field)
    }

    pub fn format(field: &str) -> Self {
        Self::new(Case::InvalidFieldFormat, field)
    }

    pub fn unauthorized(reason: &str) -> Self {
        Self::new(Case::Unauthorized, reason)
    }

    pub fn into_response(self, service: Service, state: &AppState) -> Response {
        let code = ResponseCode::new(service, self.case);
        let body =
            ErrorResponse { response_code: code.to_string(), response_message: code.message(self.detail.as_deref()) };
        let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        super::json(status, &body, state)
    }
}

impl From<FieldError> for SnapError {
    fn from(e: FieldError) -> Self {
        match e.problem {
            Problem::Missing => SnapError::missing(&e.field),
            Problem::Format => SnapError::format(&e.field),
        }
    }
}

impl From<BodyError> for SnapError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::Malformed => SnapError::plain(Case::BadRequest),
            BodyError::Field(field) => field.into(),
        }
    }
}

impl From<DomainError> for SnapError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::NotFound => SnapError::plain(Case::TransactionNotFound),
            DomainError::InvalidState { state: PaymentState::Expired, .. } => {
                SnapError::plain(Case::TransactionExpired)
            }
            DomainError::InvalidState { .. } => SnapError::plain(Case::OperationNotAllowed),
            DomainError::AmountMismatch { .. }
            | DomainError::AmountOutOfRange { .. }
            | DomainError::FractionalAmount { .. } => SnapError::format("amount.value"),
            // SNAP has no virtual accounts yet; a number clash would be lunas's own fault.
            DomainError::NumberInUse => SnapError::plain(Case::GeneralError),
            DomainError::RefundExceedsBalance { .. } => SnapError::plain(Case::InsufficientFunds),
            DomainError::RequestIdReused => SnapError::plain(Case::Conflict),
            DomainError::DuplicateReference => SnapError::plain(Case::DuplicatePartnerReferenceNo),
            DomainError::InconsistentRequest => SnapError::plain(Case::InconsistentRequest),
        }
    }
}

impl From<AppError> for SnapError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Domain(e) => e.into(),
            AppError::Acquirer(e) => {
                tracing::error!(error = %e, "the acquirer failed");
                SnapError::plain(Case::GeneralError)
            }
            AppError::Invalid(reason) => SnapError::new(Case::BadRequest, reason),
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal failure");
                SnapError::plain(Case::GeneralError)
            }
        }
    }
}
