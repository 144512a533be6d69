//! Signature schemes of SNAP and iFortepay, built on aws-lc-rs.
//!
//! Every verification compares in constant time: HMACs through `hmac::verify`, RSA
//! through the library's verifier.

use aws_lc_rs::{digest, hmac, rand, signature};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::minify::minify_json;

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, bytes))
}

/// SNAP body hash: lower-case hex SHA-256 of the minified body. An empty body hashes
/// the empty string, as the standard's note says.
pub fn body_hash(raw_body: &[u8]) -> String {
    sha256_hex(&minify_json(raw_body))
}

/// `clientKey|timestamp`, signed with RSA for the B2B access token.
pub fn token_string_to_sign(client_key: &str, timestamp: &str) -> String {
    format!("{client_key}|{timestamp}")
}

/// Signature type 1 (symmetric, with a B2B access token).
pub fn symmetric_string_to_sign(
    method: &str,
    path: &str,
    access_token: &str,
    raw_body: &[u8],
    timestamp: &str,
) -> String {
    format!("{}:{path}:{access_token}:{}:{timestamp}", method.to_ascii_uppercase(), body_hash(raw_body))
}

/// Signature type 2 (asymmetric, without an access token).
pub fn asymmetric_string_to_sign(method: &str, path: &str, raw_body: &[u8], timestamp: &str) -> String {
    format!("{}:{path}:{}:{timestamp}", method.to_ascii_uppercase(), body_hash(raw_body))
}

/// iFortepay's SNAP notification string: `notifyUrl:X-VERSION:bodyHash:X-TIMESTAMP`.
pub fn notification_string_to_sign(notify_url: &str, version: &str, raw_body: &[u8], timestamp: &str) -> String {
    format!("{notify_url}:{version}:{}:{timestamp}", body_hash(raw_body))
}

/// Base64(HMAC-SHA512(secret, message)).
pub fn hmac_sha512_base64(secret: &[u8], message: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA512, secret);
    BASE64.encode(hmac::sign(&key, message.as_bytes()))
}

/// Checks a Base64 HMAC-SHA512 signature in constant time.
pub fn verify_hmac_sha512_base64(secret: &[u8], message: &str, signature_b64: &str) -> bool {
    let Ok(tag) = BASE64.decode(signature_b64.trim()) else {
        return false;
    };
    let key = hmac::Key::new(hmac::HMAC_SHA512, secret);
    hmac::verify(&key, message.as_bytes(), &tag).is_ok()
}

/// Constant-time equality of two byte strings (for hex digests and secrets).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// `len` decimal digits from the CSPRNG (at most 19).
pub fn random_digits(len: u32) -> String {
    let bytes: [u8; 8] = random_bytes(8).try_into().expect("eight bytes were asked for");
    let modulus = 10u64.pow(len.min(19));
    format!("{:0width$}", u64::from_le_bytes(bytes) % modulus, width = len as usize)
}

/// Fills `len` bytes from the operating system's CSPRNG.
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    rand::fill(&mut bytes).expect("the system CSPRNG is available");
    bytes
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("not a PEM document")]
    NotPem,
    #[error("unexpected PEM label {0}")]
    UnexpectedLabel(String),
    #[error("the key is not an RSA key of 2048 to 8192 bits")]
    Rejected,
}

/// A merchant's RSA public key (SubjectPublicKeyInfo), for SHA256withRSA signatures.
#[derive(Clone)]
pub struct RsaPublicKey {
    der: Vec<u8>,
}

impl std::fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaPublicKey").field("der_len", &self.der.len()).finish()
    }
}

impl RsaPublicKey {
    /// Parses `-----BEGIN PUBLIC KEY-----` (SPKI) or `-----BEGIN RSA PUBLIC KEY-----` (PKCS#1).
    pub fn from_pem(pem_text: &str) -> Result<Self, KeyError> {
        let doc = pem::parse(pem_text).map_err(|_| KeyError::NotPem)?;
        match doc.tag() {
            "PUBLIC KEY" | "RSA PUBLIC KEY" => Self::from_der(doc.contents()),
            other => Err(KeyError::UnexpectedLabel(other.to_string())),
        }
    }

    pub fn from_der(der: &[u8]) -> Result<Self, KeyError> {
        let key = signature::ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der)
            .map_err(|_| KeyError::Rejected)?;
        drop(key);
        Ok(Self { der: der.to_vec() })
    }

    /// Verifies Base64(SHA256withRSA(message)).
    pub fn verify_base64(&self, message: &str, signature_b64: &str) -> bool {
        let Ok(sig) = BASE64.decode(signature_b64.trim()) else {
            return false;
        };
        signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.der)
            .verify(message.as_bytes(), &sig)
            .is_ok()
    }
}

/// An RSA private key for SHA256withRSA signing (the merchant's side: SDKs and tests).
/// Clones share the key; `Debug` never shows it.
#[derive(Clone)]
pub struct RsaPrivateKey {
    pair: std::sync::Arc<signature::RsaKeyPair>,
}

impl std::fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RsaPrivateKey(…)")
    }
}

impl RsaPrivateKey {
    /// Parses `-----BEGIN PRIVATE KEY-----` (PKCS#8) or `-----BEGIN RSA PRIVATE KEY-----` (PKCS#1).
    pub fn from_pem(pem_text: &str) -> Result<Self, KeyError> {
        let doc = pem::parse(pem_text).map_err(|_| KeyError::NotPem)?;
        let pair = match doc.tag() {
            "PRIVATE KEY" => signature::RsaKeyPair::from_pkcs8(doc.contents()),
            "RSA PRIVATE KEY" => signature::RsaKeyPair::from_der(doc.contents()),
            other => return Err(KeyError::UnexpectedLabel(other.to_string())),
        }
        .map_err(|_| KeyError::Rejected)?;
        Ok(Self { pair: pair.into() })
    }

    /// A fresh 2048-bit key.
    pub fn generate() -> Self {
        let pair =
            signature::RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("RSA key generation succeeds");
        Self { pair: pair.into() }
    }

    /// The public half as a `-----BEGIN PUBLIC KEY-----` PEM document.
    pub fn public_key_pem(&self) -> String {
        use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
        use aws_lc_rs::signature::KeyPair;
        let der: PublicKeyX509Der<'static> =
            self.pair.public_key().as_der().expect("an RSA public key encodes as SPKI");
        pem::encode(&pem::Pem::new("PUBLIC KEY", der.as_ref().to_vec()))
    }

    /// The key as a `-----BEGIN PRIVATE KEY-----` (PKCS#8) PEM document.
    pub fn private_key_pem(&self) -> String {
        use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
        let der: Pkcs8V1Der<'static> = self.pair.as_der().expect("an RSA key encodes as PKCS#8");
        pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()))
    }

    /// Base64(SHA256withRSA(message)). PKCS#1 v1.5 is deterministic.
    pub fn sign_base64(&self, message: &str) -> String {
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(&signature::RSA_PKCS1_SHA256, &rand::SystemRandom::new(), message.as_bytes(), &mut sig)
            .expect("RSA signing succeeds");
        BASE64.encode(sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_CANCEL_BODY: &str = r#"{"originalPartnerReferenceNo":"2020102900000000000001","originalReferenceNo":"2020102977770000000009","reason":"cancel reason","additionalInfo":{"type":"DYNAMIC"}}"#;

    /// snap.md §2.6, reproduced from Midtrans' published sample output.
    #[test]
    fn symmetric_signature_matches_midtrans_vector() {
        let body = r#"{"partnerReferenceNo":"2020102900000000000001","amount":{"value":"12345678.00","currency":"IDR"},"feeAmount":{"value":"12345678.00","currency":"IDR"},"merchantId":"00007100010926","terminalId":"213141251124","validityPeriod":"2009-07-03T12:08:56-07:00"}"#;
        assert_eq!(body_hash(body.as_bytes()), "01463f60dbb6ca538581579dd95b31c8ba9fc6600eca750e4d8460ca4e402111");
        let sts = symmetric_string_to_sign(
            "POST",
            "/v1.0/qr/qr-mpm-generate",
            "myaccesstoken",
            body.as_bytes(),
            "2024-03-05T10:37:16.196Z",
        );
        let expected = "wmzT7yjg1SxxCsxNsFgCR9SYXiZGGbceF6fV8xe97sAMHxZ+7OEBMIBmvb6Sj6GcksGp3iv77DiomgSbcST3XQ==";
        assert_eq!(hmac_sha512_base64(b"myclientsecret", &sts), expected);
        assert!(verify_hmac_sha512_base64(b"myclientsecret", &sts, expected));
        assert!(!verify_hmac_sha512_base64(b"otherclientsecret", &sts, expected));
    }

    /// ifortepay.md §3.4: the seed cancel request signed symmetrically.
    #[test]
    fn symmetric_signature_matches_ifortepay_cancel_vector() {
        assert_eq!(
            body_hash(SEED_CANCEL_BODY.as_bytes()),
            "ba2d3b3a50d613ef4ffcf5d64c979bee79d1b3de74c7d8bf3392c8051b951633"
        );
        let sts = symmetric_string_to_sign(
            "POST",
            "/v1.0/qr/qr-mpm-cancel",
            "ACCESS_TOKEN",
            SEED_CANCEL_BODY.as_bytes(),
            "2020-12-23T08:10:11+07:00",
        );
        assert_eq!(
            hmac_sha512_base64(b"o7sWnn0oGXF7y7JBGf18!", &sts),
            "2a+STGtbg/gG7IiZHiIeBD8bhkeEwyTRnQpwxzTBSx7FJAZzXswQg7M6XxzylzTAKdVZjVbqYZAvXNqo2XEK/Q=="
        );
    }

    #[test]
    fn pretty_and_minified_bodies_hash_alike() {
        let pretty = "{\n  \"originalPartnerReferenceNo\": \"2020102900000000000001\",\n  \"originalReferenceNo\": \"2020102977770000000009\",\n  \"reason\": \"cancel reason\",\n  \"additionalInfo\": { \"type\": \"DYNAMIC\" }\n}";
        assert_eq!(body_hash(pretty.as_bytes()), body_hash(SEED_CANCEL_BODY.as_bytes()));
    }

    #[test]
    fn empty_body_hashes_the_empty_string() {
        assert_eq!(body_hash(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn rsa_round_trip_and_rejections() {
        let key = RsaPrivateKey::generate();
        let public = RsaPublicKey::from_pem(&key.public_key_pem()).unwrap();
        let reloaded = RsaPrivateKey::from_pem(&key.private_key_pem()).unwrap();
        let sts = token_string_to_sign("IFP2024067944", "2020-12-23T08:10:11+07:00");
        let sig = key.sign_base64(&sts);
        assert!(public.verify_base64(&sts, &sig));
        assert_eq!(reloaded.sign_base64(&sts), sig);
        assert!(!public.verify_base64(&format!("{sts}x"), &sig));
        assert!(!public.verify_base64(&sts, "not base64!"));
        let other = RsaPrivateKey::generate();
        assert!(!public.verify_base64(&sts, &other.sign_base64(&sts)));
    }

    #[test]
    fn bad_pem_is_rejected() {
        assert_eq!(RsaPublicKey::from_pem("hello").unwrap_err(), KeyError::NotPem);
        let cert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(matches!(RsaPublicKey::from_pem(cert), Err(KeyError::UnexpectedLabel(_))));
        let junk = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
        assert_eq!(RsaPublicKey::from_pem(junk).unwrap_err(), KeyError::Rejected);
    }

    #[test]
    fn notification_string_follows_ifortepay_layout() {
        let sts =
            notification_string_to_sign("https://merchant.com/callback", "v1", b"{}", "2022-12-13T09:00:00+07:00");
        assert_eq!(sts, format!("https://merchant.com/callback:v1:{}:2022-12-13T09:00:00+07:00", sha256_hex(b"{}")));
    }
}
