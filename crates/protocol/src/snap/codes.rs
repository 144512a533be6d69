//! The SNAP response-code catalogue: `responseCode` is the HTTP status (3 digits),
//! the service code (2) and the case code (2), e.g. `2007700`.

use std::fmt;

/// Service codes of the endpoints lunas serves or originates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    GenerateQr,
    QueryQr,
    NotifyQr,
    AccessTokenB2b,
    CancelQr,
    RefundQr,
    VaStatus,
    CreateVa,
    UpdateVa,
    UpdateVaStatus,
    InquiryVa,
    DeleteVa,
}

impl Service {
    pub fn code(self) -> u8 {
        match self {
            Service::GenerateQr => 47,
            Service::QueryQr => 51,
            Service::NotifyQr => 52,
            Service::AccessTokenB2b => 73,
            Service::CancelQr => 77,
            Service::RefundQr => 78,
            Service::VaStatus => 26,
            Service::CreateVa => 27,
            Service::UpdateVa => 28,
            Service::UpdateVaStatus => 29,
            Service::InquiryVa => 30,
            Service::DeleteVa => 31,
        }
    }
}

/// Cases of the general table (snap.md §4.1) that lunas answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Successful,
    BadRequest,
    InvalidFieldFormat,
    InvalidMandatoryField,
    Unauthorized,
    InvalidToken,
    TransactionExpired,
    ExceedsTransactionAmountLimit,
    InsufficientFunds,
    TransactionNotFound,
    InconsistentRequest,
    /// A VA that does not exist (or is not this merchant's).
    InvalidBill,
    InvalidAmount,
    PaidBill,
    /// A VA past its `expiredDate`.
    ExpiredBill,
    FunctionNotSupported,
    OperationNotAllowed,
    Conflict,
    DuplicatePartnerReferenceNo,
    GeneralError,
}

impl Case {
    pub fn http_status(self) -> u16 {
        match self {
            Case::Successful => 200,
            Case::BadRequest | Case::InvalidFieldFormat | Case::InvalidMandatoryField => 400,
            Case::Unauthorized | Case::InvalidToken => 401,
            Case::TransactionExpired | Case::ExceedsTransactionAmountLimit | Case::InsufficientFunds => 403,
            Case::TransactionNotFound
            | Case::InconsistentRequest
            | Case::InvalidBill
            | Case::InvalidAmount
            | Case::PaidBill
            | Case::ExpiredBill => 404,
            Case::OperationNotAllowed | Case::FunctionNotSupported => 405,
            Case::Conflict | Case::DuplicatePartnerReferenceNo => 409,
            Case::GeneralError => 500,
        }
    }

    pub fn case_code(self) -> u8 {
        match self {
            Case::Successful
            | Case::BadRequest
            | Case::Unauthorized
            | Case::TransactionExpired
            | Case::Conflict
            | Case::FunctionNotSupported
            | Case::GeneralError => 0,
            Case::InvalidFieldFormat
            | Case::InvalidToken
            | Case::TransactionNotFound
            | Case::OperationNotAllowed
            | Case::DuplicatePartnerReferenceNo => 1,
            Case::InvalidMandatoryField | Case::ExceedsTransactionAmountLimit => 2,
            Case::InvalidBill => 12,
            Case::InvalidAmount => 13,
            Case::InsufficientFunds | Case::PaidBill => 14,
            Case::InconsistentRequest => 18,
            Case::ExpiredBill => 19,
        }
    }

    /// The table's `responseMessage`. Templated cases ("Invalid Field Format
    /// {field name}", "Unauthorized. [reason]") get their detail appended by
    /// [`ResponseCode::message`].
    pub fn message(self) -> &'static str {
        match self {
            Case::Successful => "Successful",
            Case::BadRequest => "Bad Request",
            Case::InvalidFieldFormat => "Invalid Field Format",
            Case::InvalidMandatoryField => "Invalid Mandatory Field",
            Case::Unauthorized => "Unauthorized.",
            Case::InvalidToken => "Invalid Token (B2B)",
            Case::TransactionExpired => "Transaction Expired",
            Case::ExceedsTransactionAmountLimit => "Exceeds Transaction Amount Limit",
            Case::InsufficientFunds => "Insufficient Funds",
            Case::TransactionNotFound => "Transaction Not Found",
            Case::InconsistentRequest => "Inconsistent Request",
            Case::InvalidBill | Case::ExpiredBill => "Invalid Bill/Virtual Account",
            Case::InvalidAmount => "Invalid Amount",
            Case::PaidBill => "Paid Bill",
            Case::FunctionNotSupported => "Requested Function Is Not Supported",
            // The table's own spelling, kept so merchants matching on it still match.
            Case::OperationNotAllowed => "Requested Opearation Is Not Allowed",
            Case::Conflict => "Conflict",
            Case::DuplicatePartnerReferenceNo => "Duplicate partnerReferenceNo",
            Case::GeneralError => "General Error",
        }
    }
}

/// A complete response code for one service and case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseCode {
    pub service: Service,
    pub case: Case,
}

impl ResponseCode {
    pub fn new(service: Service, case: Case) -> Self {
        Self { service, case }
    }

    pub fn http_status(self) -> u16 {
        self.case.http_status()
    }

    /// The table's message, with `detail` (a field name or a reason) appended.
    pub fn message(self, detail: Option<&str>) -> String {
        match detail {
            Some(detail) => format!("{} {detail}", self.case.message()),
            None => self.case.message().to_string(),
        }
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{:02}{:02}", self.case.http_status(), self.service.code(), self.case.case_code())
    }
}

/// The success message iFortepay's QRIS pages show ("Successful" is the token's).
pub const PROCESSED_SUCCESSFULLY: &str = "Request has been processed successfully";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_compose_from_status_service_and_case() {
        assert_eq!(ResponseCode::new(Service::CancelQr, Case::Successful).to_string(), "2007700");
        assert_eq!(ResponseCode::new(Service::AccessTokenB2b, Case::Successful).to_string(), "2007300");
        assert_eq!(ResponseCode::new(Service::GenerateQr, Case::InvalidMandatoryField).to_string(), "4004702");
        assert_eq!(ResponseCode::new(Service::RefundQr, Case::InconsistentRequest).to_string(), "4047818");
        assert_eq!(ResponseCode::new(Service::RefundQr, Case::InsufficientFunds).to_string(), "4037814");
        assert_eq!(ResponseCode::new(Service::QueryQr, Case::Conflict).to_string(), "4095100");
        assert_eq!(ResponseCode::new(Service::CancelQr, Case::OperationNotAllowed).to_string(), "4057701");
        // The VA cases of snap.md §4.2.
        assert_eq!(ResponseCode::new(Service::CreateVa, Case::Successful).to_string(), "2002700");
        assert_eq!(ResponseCode::new(Service::VaStatus, Case::Successful).to_string(), "2002600");
        assert_eq!(ResponseCode::new(Service::DeleteVa, Case::InvalidBill).to_string(), "4043112");
        assert_eq!(ResponseCode::new(Service::InquiryVa, Case::InvalidAmount).to_string(), "4043013");
        assert_eq!(ResponseCode::new(Service::DeleteVa, Case::PaidBill).to_string(), "4043114");
        assert_eq!(ResponseCode::new(Service::DeleteVa, Case::ExpiredBill).to_string(), "4043119");
        assert_eq!(ResponseCode::new(Service::CreateVa, Case::DuplicatePartnerReferenceNo).to_string(), "4092701");
        assert_eq!(ResponseCode::new(Service::CreateVa, Case::InconsistentRequest).to_string(), "4042718");
    }

    #[test]
    fn http_status_is_the_first_three_digits() {
        let cases = [
            Case::Successful,
            Case::BadRequest,
            Case::InvalidFieldFormat,
            Case::InvalidMandatoryField,
            Case::Unauthorized,
            Case::InvalidToken,
            Case::TransactionExpired,
            Case::ExceedsTransactionAmountLimit,
            Case::InsufficientFunds,
            Case::TransactionNotFound,
            Case::InconsistentRequest,
            Case::InvalidBill,
            Case::InvalidAmount,
            Case::PaidBill,
            Case::ExpiredBill,
            Case::FunctionNotSupported,
            Case::OperationNotAllowed,
            Case::Conflict,
            Case::DuplicatePartnerReferenceNo,
            Case::GeneralError,
        ];
        for case in cases {
            let code = ResponseCode::new(Service::GenerateQr, case);
            assert_eq!(code.to_string().len(), 7);
            assert_eq!(code.to_string()[..3], code.http_status().to_string());
        }
    }

    #[test]
    fn templated_messages_name_the_field() {
        let code = ResponseCode::new(Service::GenerateQr, Case::InvalidMandatoryField);
        assert_eq!(code.message(Some("partnerReferenceNo")), "Invalid Mandatory Field partnerReferenceNo");
    }
}
