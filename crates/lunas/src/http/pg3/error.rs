//! Every PG3 failure as one type, mapped once to `response_code`, message and status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lunas_protocol::pg3::{Code, ErrorResponse};
use lunas_protocol::validate::{BodyError, FieldError, Problem};

use crate::acquirer::AcquirerError;
use crate::app::AppError;
use crate::domain::{DomainError, PaymentState};

#[derive(Debug)]
pub struct Pg3Error {
    pub status: StatusCode,
    pub code: Code,
    pub message: String,
}

impl Pg3Error {
    pub fn new(status: StatusCode, code: Code, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    pub fn parameter(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Code::RequestParameterError, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, Code::UnauthorizedMerchant, message)
    }

    pub fn not_found() -> Self {
        // iFortepay's own example answers an unknown transaction this way.
        Self::new(StatusCode::NOT_FOUND, Code::RequestParameterError, "transaction_id not found")
    }

    pub fn system() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, Code::SystemError, Code::SystemError.message())
    }
}

impl IntoResponse for Pg3Error {
    fn into_response(self) -> Response {
        let body = ErrorResponse { response_code: self.code.as_str().to_string(), response_message: self.message };
        (self.status, axum::Json(body)).into_response()
    }
}

impl From<FieldError> for Pg3Error {
    fn from(e: FieldError) -> Self {
        match e.problem {
            Problem::Missing => Pg3Error::parameter(format!("{} is required", e.field)),
            Problem::Format => Pg3Error::parameter(format!("{} is invalid", e.field)),
        }
    }
}

impl From<BodyError> for Pg3Error {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::Malformed => Pg3Error::parameter("request body must be a JSON object"),
            BodyError::Field(field) => field.into(),
        }
    }
}

impl From<DomainError> for Pg3Error {
    fn from(e: DomainError) -> Self {
        let conflict = |message: &str| Pg3Error::new(StatusCode::CONFLICT, Code::FailedRequest, message);
        match e {
            DomainError::NotFound => Pg3Error::not_found(),
            DomainError::InvalidState { state, .. } => match state {
                PaymentState::Expired => conflict("transaction is expired"),
                PaymentState::Canceled => conflict("transaction is canceled"),
                PaymentState::Paid | PaymentState::PartiallyRefunded | PaymentState::Refunded => {
                    conflict("transaction is already paid")
                }
                PaymentState::Pending => conflict("transaction is pending"),
            },
            DomainError::AmountMismatch { .. }
            | DomainError::AmountOutOfRange { .. }
            | DomainError::FractionalAmount { .. } => Pg3Error::parameter("amount is invalid"),
            DomainError::RefundExceedsBalance { .. } => conflict("amount exceeds the refundable balance"),
            DomainError::RequestIdReused | DomainError::DuplicateReference => {
                Pg3Error::new(StatusCode::CONFLICT, Code::RequestParameterError, "external_id already exists")
            }
            DomainError::InconsistentRequest => Pg3Error::new(
                StatusCode::CONFLICT,
                Code::RequestParameterError,
                "external_id already exists with a different request",
            ),
            DomainError::NumberInUse => Pg3Error::new(
                StatusCode::CONFLICT,
                Code::RequestParameterError,
                "payment_details.va_number is already in use",
            ),
        }
    }
}

impl From<AppError> for Pg3Error {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Domain(e) => e.into(),
            AppError::Acquirer(AcquirerError::InvalidNumber) => {
                Pg3Error::parameter("payment_details.va_number is invalid")
            }
            AppError::Acquirer(AcquirerError::NoFreeNumber) => {
                Pg3Error::new(StatusCode::SERVICE_UNAVAILABLE, Code::FailedRequest, "no free virtual account number")
            }
            AppError::Acquirer(AcquirerError::Failure(reason)) => {
                tracing::error!(reason, "the bank refused a virtual account");
                Pg3Error::new(StatusCode::BAD_GATEWAY, Code::FailedRequest, "the bank did not open the virtual account")
            }
            AppError::Invalid(reason) => Pg3Error::parameter(reason),
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal failure");
                Pg3Error::system()
            }
        }
    }
}
