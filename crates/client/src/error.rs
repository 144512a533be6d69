//! What a call can end with besides its answer.

/// A refused or failed call. A refusal carries the protocol's own code and message,
/// so a caller matches on what iFortepay documents.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A SNAP answer that is not a success: `responseCode` (7 digits, the HTTP
    /// status first) and `responseMessage`.
    #[error("SNAP {code}: {message}")]
    Snap { status: u16, code: String, message: String },
    /// A PG3 answer that is not `00`: `response_code` and `response_message`.
    #[error("PG3 {code}: {message}")]
    Pg3 { status: u16, code: String, message: String },
    /// No answer: the connection failed or the timeout passed.
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    /// An answer that is not what the protocol says it should be.
    #[error("unexpected answer (HTTP {status}): {error}; body: {body}")]
    Decode { status: u16, error: String, body: String },
    /// The client was given something it cannot use (a key, a URL).
    #[error("configuration: {0}")]
    Config(String),
}

impl Error {
    /// The protocol's code of a refusal (`"4047701"`, `"04"`), if the gateway answered one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Snap { code, .. } | Self::Pg3 { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Whether trying again later may succeed: no answer, or the gateway's own failure.
    /// After a create, cancel or refund that timed out, whether it happened is
    /// unknown: query before sending it again (a new `X-EXTERNAL-ID` is a new request).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Http(e) => e.is_connect() || e.is_timeout() || e.is_request(),
            Self::Snap { status, .. } | Self::Pg3 { status, .. } => *status >= 500,
            Self::Decode { status, .. } => *status >= 500,
            Self::Config(_) => false,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
