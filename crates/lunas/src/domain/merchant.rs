use super::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct MerchantId(pub i64);

/// A merchant and its credentials. The secrets are stored because the gateway needs
/// them to verify (HMAC, PG3 hashes) and to sign callbacks; they are never logged and
/// never shown after creation.
#[derive(Clone)]
pub struct Merchant {
    pub id: MerchantId,
    pub name: String,
    /// SNAP `X-PARTNER-ID` / `X-CLIENT-KEY`, and PG3 `merchant_id`.
    pub partner_id: String,
    /// SNAP HMAC-SHA512 key.
    pub client_secret: String,
    /// SPKI PEM for SHA256withRSA signatures.
    pub public_key_pem: Option<String>,
    pub callback_url: Option<String>,
    /// PG3 Basic-auth password.
    pub secret_unbound_id: String,
    /// PG3 signature key.
    pub hash_key: String,
    pub created_at: Timestamp,
}

impl std::fmt::Debug for Merchant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Merchant")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("partner_id", &self.partner_id)
            .finish_non_exhaustive()
    }
}

/// Everything needed to store a new merchant; credentials already generated.
pub struct NewMerchant {
    pub name: String,
    pub partner_id: String,
    pub client_secret: String,
    pub public_key_pem: Option<String>,
    pub callback_url: Option<String>,
    pub secret_unbound_id: String,
    pub hash_key: String,
    pub created_at: Timestamp,
}

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A random alphanumeric secret from the system CSPRNG (rejection-sampled, so every
/// character is equally likely).
pub fn generate_secret(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for byte in lunas_protocol::crypto::random_bytes(len) {
            // 248 = 4 × 62: bytes at or above it would favour the first characters.
            if byte < 248 && out.len() < len {
                out.push(char::from(ALPHANUMERIC[usize::from(byte % 62)]));
            }
        }
    }
    out
}

/// A new SNAP partner id: `LNS` and 12 random digits.
pub fn new_partner_id() -> String {
    format!("LNS{}", lunas_protocol::crypto::random_digits(12))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_alphanumeric_and_distinct() {
        let a = generate_secret(32);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(a, generate_secret(32));
        let id = new_partner_id();
        assert_eq!(id.len(), 15);
        assert!(id.starts_with("LNS") && id[3..].bytes().all(|b| b.is_ascii_digit()));
    }
}
