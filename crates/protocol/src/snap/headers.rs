//! SNAP header names (HTTP header names are case-insensitive; these are the spellings
//! iFortepay documents).

pub const X_TIMESTAMP: &str = "X-TIMESTAMP";
pub const X_SIGNATURE: &str = "X-SIGNATURE";
pub const X_PARTNER_ID: &str = "X-PARTNER-ID";
pub const X_EXTERNAL_ID: &str = "X-EXTERNAL-ID";
pub const X_CLIENT_KEY: &str = "X-CLIENT-KEY";
pub const X_VERSION: &str = "X-VERSION";
pub const CHANNEL_ID: &str = "CHANNEL-ID";
pub const AUTHORIZATION: &str = "Authorization";
pub const CONTENT_TYPE: &str = "Content-Type";

/// Maximum lengths from the standard's header table.
pub const X_PARTNER_ID_MAX: usize = 36;
pub const X_EXTERNAL_ID_MAX: usize = 36;
pub const CHANNEL_ID_MAX: usize = 5;

/// The `X-VERSION` iFortepay puts on its SNAP notifications.
pub const NOTIFICATION_VERSION: &str = "v1";
