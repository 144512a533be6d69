//! Access token B2B (service 73).

use serde::{Deserialize, Serialize};

use crate::validate::{FieldError, ensure};

/// The body as received. The field was renamed `granttype` → `grantType` in SNAP
/// v1.0.2 and some SDKs send `grant_type`; all three are accepted.
#[serde_with::skip_serializing_none]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct TokenRequest {
    #[serde(rename = "grantType", alias = "granttype", alias = "grant_type")]
    pub grant_type: Option<String>,
}

pub const CLIENT_CREDENTIALS: &str = "client_credentials";

impl TokenRequest {
    pub fn validate(&self) -> Result<(), FieldError> {
        let grant = crate::validate::required(&self.grant_type, "grantType", 64)?;
        ensure(grant == CLIENT_CREDENTIALS, "grantType")
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    pub response_code: String,
    pub response_message: String,
    pub access_token: String,
    pub token_type: String,
    pub expires_in: String,
    pub additional_info: serde_json::Map<String, serde_json::Value>,
}
