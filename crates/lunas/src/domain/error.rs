use lunas_protocol::money::Amount;

use super::PaymentState;

/// What a command tried to do to a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Pay,
    Cancel,
    Expire,
    Refund,
    Amend,
    Close,
}

/// Business rules a command can break. Each API face maps these once to its own codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("no such payment for this merchant")]
    NotFound,
    #[error("cannot {action:?} a payment that is {state:?}")]
    InvalidState { action: Action, state: PaymentState },
    #[error("amount {offered} does not match the expected {expected}")]
    AmountMismatch { expected: Amount, offered: Amount },
    #[error("amount {offered} is outside {minimum}..={maximum:?}")]
    AmountOutOfRange { offered: Amount, minimum: Amount, maximum: Option<Amount> },
    #[error("amount {offered} is not whole rupiah")]
    FractionalAmount { offered: Amount },
    #[error("refund exceeds the refundable balance of {refundable}")]
    RefundExceedsBalance { refundable: Amount },
    #[error("the request id was already used today")]
    RequestIdReused,
    #[error("the merchant reference was already used for the same request")]
    DuplicateReference,
    #[error("the merchant reference was already used for a different request")]
    InconsistentRequest,
    #[error("the virtual account number is in use by a live virtual account")]
    NumberInUse,
}
