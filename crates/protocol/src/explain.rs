//! Why a signature was refused, told as far as it can be told: what the verifier
//! signed, and which of the mistakes integrations commonly make (snap.md §8: a
//! re-serialised body, the wrong empty-body hash, the full URL for the path, the
//! query left out, the token with its scheme) the caller's signature matches.
//!
//! Each guess is checked against the signature that was sent, so a finding is a
//! fact, not a hint. Nothing here knows a secret: the caller passes a verifier.

use serde::Serialize;

use crate::crypto::sha256_hex;
use crate::minify::minify_json;

/// What the verifier computed for a refused signature.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// How the signature had to be made.
    pub scheme: &'static str,
    /// The body as it was hashed (minified), for the schemes that hash it.
    pub minified_body: Option<String>,
    /// Lower-case hex SHA-256 of `minified_body`.
    pub body_hash: Option<String>,
    /// The exact text the signature had to cover (an access token in it is masked).
    pub string_to_sign: String,
    /// The mistake the sent signature matches, or what is left to check.
    pub finding: String,
}

/// The parts of a SNAP service request a signature covers.
pub struct ServiceRequest<'a> {
    pub method: &'a str,
    /// Path and query, as requested.
    pub path: &'a str,
    /// The `Host` header, to recognise a signature over the full URL.
    pub host: Option<&'a str>,
    /// The bearer token (type 1, HMAC); `None` for type 2 (RSA).
    pub access_token: Option<&'a str>,
    pub raw_body: &'a [u8],
    pub timestamp: &'a str,
}

const NOTHING_FOUND: &str = "no common mistake explains it: the signature was made with another key or secret, \
     or over other text; compare your string-to-sign with this one, byte for byte";

impl ServiceRequest<'_> {
    fn string_to_sign(&self, method: &str, path: &str, token: Option<&str>, hash: &str) -> String {
        match token {
            Some(token) => format!("{method}:{path}:{token}:{hash}:{}", self.timestamp),
            None => format!("{method}:{path}:{hash}:{}", self.timestamp),
        }
    }

    /// Explains a refused service signature; `verifies` checks a candidate
    /// string-to-sign against the signature sent, with the merchant's key.
    pub fn explain(&self, verifies: impl Fn(&str) -> bool) -> Explanation {
        let method = self.method.to_ascii_uppercase();
        let minified = minify_json(self.raw_body);
        let hash = sha256_hex(&minified);
        let token = self.access_token;
        let finding = self
            .guesses(&method, &minified, &hash)
            .into_iter()
            .find(|(candidate, _)| verifies(candidate))
            .map_or_else(|| NOTHING_FOUND.to_string(), |(_, finding)| finding);
        Explanation {
            scheme: if token.is_some() {
                "symmetric: HMAC-SHA512 with the client secret over METHOD:path:accessToken:bodyHash:X-TIMESTAMP"
            } else {
                "asymmetric: SHA256withRSA with the merchant's private key over METHOD:path:bodyHash:X-TIMESTAMP"
            },
            minified_body: Some(String::from_utf8_lossy(&minified).into_owned()),
            body_hash: Some(hash.clone()),
            string_to_sign: self.string_to_sign(&method, self.path, token.map(mask).as_deref(), &hash),
            finding,
        }
    }

    /// Strings-to-sign made the common wrong ways, each with what it means.
    fn guesses(&self, method: &str, minified: &[u8], hash: &str) -> Vec<(String, String)> {
        let (path, token) = (self.path, self.access_token);
        let sts =
            |method: &str, path: &str, token: Option<&str>, hash: &str| self.string_to_sign(method, path, token, hash);
        let mut guesses = Vec::new();
        if minified != self.raw_body {
            guesses.push((
                sts(method, path, token, &sha256_hex(self.raw_body)),
                "the body was hashed as sent; SNAP hashes it minified (no whitespace outside strings), \
                 as minified_body shows"
                    .to_string(),
            ));
        }
        let (empty, braces) = (sha256_hex(b""), sha256_hex(b"{}"));
        if hash == empty {
            guesses.push((sts(method, path, token, &braces), "an empty body is hashed as \"\", not \"{}\"".into()));
        } else if hash == braces {
            guesses.push((sts(method, path, token, &empty), "the body {} was hashed as \"\"".into()));
        }
        guesses.push((
            sts(method, path, token, &hash.to_ascii_uppercase()),
            "the body hash was written in upper case; SNAP uses lower-case hex".into(),
        ));
        if let Some((bare, _)) = path.split_once('?') {
            guesses.push((sts(method, bare, token, hash), "the query string was left out of the path".into()));
        }
        if let Some(host) = self.host {
            for scheme in ["https", "http"] {
                guesses.push((
                    sts(method, &format!("{scheme}://{host}{path}"), token, hash),
                    "the full URL was signed; the path is the URL's path (and query) only, from the first /".into(),
                ));
            }
        }
        if let Some(token) = token {
            guesses.push((
                sts(method, path, Some(&format!("Bearer {token}")), hash),
                "the token was signed with its \"Bearer \" prefix; sign the token alone".into(),
            ));
            guesses.push((
                sts(method, path, None, hash),
                "the access token was left out of the string-to-sign (that is type 2's form)".into(),
            ));
        }
        guesses.push((
            sts(&self.method.to_ascii_lowercase(), path, token, hash),
            "the method was signed in lower case; SNAP signs it in upper case".into(),
        ));
        guesses
    }
}

/// Explains a refused access-token signature (`X-CLIENT-KEY|X-TIMESTAMP`, RSA).
pub fn explain_token(client_key: &str, timestamp: &str, verifies: impl Fn(&str) -> bool) -> Explanation {
    let guesses = [
        (format!("{client_key}:{timestamp}"), "the parts were joined with ':'; the token request joins them with '|'"),
        (format!("{timestamp}|{client_key}"), "the parts were swapped: X-CLIENT-KEY comes first"),
        (client_key.to_string(), "only X-CLIENT-KEY was signed; sign X-CLIENT-KEY|X-TIMESTAMP"),
    ];
    let finding =
        guesses.into_iter().find(|(candidate, _)| verifies(candidate)).map_or(NOTHING_FOUND, |(_, finding)| finding);
    Explanation {
        scheme: "access token: SHA256withRSA with the merchant's private key over X-CLIENT-KEY|X-TIMESTAMP",
        minified_body: None,
        body_hash: None,
        string_to_sign: format!("{client_key}|{timestamp}"),
        finding: finding.to_string(),
    }
}

/// Explains a refused PG3 `x-req-signature`. The hash key is never shown: the
/// string-to-sign names it; `signs` hashes a candidate with the hash key prepended.
pub fn explain_pg3(external_id: &str, order_id: &str, sent: &str, signs: impl Fn(&str) -> String) -> Explanation {
    let guesses = [
        (
            format!("{order_id}{external_id}"),
            "order_id and external_id were swapped: hash_key + external_id + order_id",
        ),
        (format!("{external_id}:{order_id}"), "the parts were joined with ':'; they are concatenated as they are"),
    ];
    let sent = sent.trim().to_ascii_lowercase();
    let finding = if sha256_hex(format!("{external_id}{order_id}").as_bytes()) == sent {
        "the hash key was left out: SHA-256 of hash_key + external_id + order_id"
    } else {
        guesses.iter().find(|(candidate, _)| signs(candidate) == sent).map_or(
            "no common mistake explains it: check the hash key (not the secret_unbound_id) and that \
                 external_id and order_id are the body's",
            |(_, finding)| finding,
        )
    };
    Explanation {
        scheme: "PG3: lower-case hex SHA-256 of hash_key + external_id + order_id",
        minified_body: None,
        body_hash: None,
        string_to_sign: format!("<hash_key>{external_id}{order_id}"),
        finding: finding.to_string(),
    }
}

/// An access token shown without its secret part.
fn mask(token: &str) -> String {
    format!("{}…", token.get(..6).unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{hmac_sha512_base64, symmetric_string_to_sign, verify_hmac_sha512_base64};

    const SECRET: &[u8] = b"secret";

    fn request<'a>(path: &'a str, body: &'a [u8]) -> ServiceRequest<'a> {
        ServiceRequest {
            method: "POST",
            path,
            host: Some("lunas.test"),
            access_token: Some("tok123456789"),
            raw_body: body,
            timestamp: "2026-11-24T10:00:00+07:00",
        }
    }

    /// The explanation of a request signed over `signed`.
    fn explain(request: &ServiceRequest, signed: &str) -> Explanation {
        let signature = hmac_sha512_base64(SECRET, signed);
        request.explain(|candidate| verify_hmac_sha512_base64(SECRET, candidate, &signature))
    }

    #[test]
    fn a_body_hashed_as_sent_is_found_and_the_minified_one_shown() {
        let body = br#"{ "a": "b c" }"#;
        let r = request("/v1.0/qr/qr-mpm-query", body);
        let signed = format!("POST:/v1.0/qr/qr-mpm-query:tok123456789:{}:{}", sha256_hex(body), r.timestamp);
        let e = explain(&r, &signed);
        assert!(e.finding.contains("hashed as sent"), "{}", e.finding);
        assert_eq!(e.minified_body.as_deref(), Some(r#"{"a":"b c"}"#));
        assert_eq!(e.body_hash.as_deref(), Some(sha256_hex(br#"{"a":"b c"}"#).as_str()));
        // The string shown is the one lunas verifies, with the token masked.
        let expected = symmetric_string_to_sign("POST", r.path, "tok123…", body, r.timestamp);
        assert_eq!(e.string_to_sign, expected);
    }

    #[test]
    fn each_common_mistake_is_named() {
        let body = br#"{"a":1}"#;
        let r = request("/v1.0/x?page=1", body);
        let hash = sha256_hex(body);
        let ts = r.timestamp;
        for (signed, expected) in [
            (format!("POST:/v1.0/x:tok123456789:{hash}:{ts}"), "query string"),
            (format!("POST:https://lunas.test/v1.0/x?page=1:tok123456789:{hash}:{ts}"), "full URL"),
            (format!("POST:/v1.0/x?page=1:Bearer tok123456789:{hash}:{ts}"), "Bearer"),
            (format!("POST:/v1.0/x?page=1:{hash}:{ts}"), "left out"),
            (format!("post:/v1.0/x?page=1:tok123456789:{hash}:{ts}"), "lower case"),
            (format!("POST:/v1.0/x?page=1:tok123456789:{}:{ts}", hash.to_uppercase()), "upper case"),
            (format!("POST:/v1.0/x?page=1:tok123456789:{hash}:2026-11-24T10:00:01+07:00"), "no common mistake"),
        ] {
            let e = explain(&r, &signed);
            assert!(e.finding.contains(expected), "{signed}: {}", e.finding);
        }
    }

    #[test]
    fn the_empty_body_hash_mistake_is_named() {
        let r = request("/v1.0/x", b"");
        let signed = format!("POST:/v1.0/x:tok123456789:{}:{}", sha256_hex(b"{}"), r.timestamp);
        assert!(explain(&r, &signed).finding.contains("empty body"));
    }

    #[test]
    fn token_and_pg3_mistakes_are_named() {
        let key = |m: &str| format!("signed({m})");
        let sent = key("C1:2026");
        assert!(explain_token("C1", "2026", |m| key(m) == sent).finding.contains("joined with ':'"));
        assert!(explain_token("C1", "2026", |_| false).finding.starts_with("no common mistake"));

        let signs = |m: &str| sha256_hex(format!("HK{m}").as_bytes());
        let e = explain_pg3("E1", "O1", &signs("O1E1").to_uppercase(), signs);
        assert!(e.finding.contains("swapped"), "{}", e.finding);
        assert_eq!(e.string_to_sign, "<hash_key>E1O1");
        assert!(explain_pg3("E1", "O1", &sha256_hex(b"E1O1"), signs).finding.contains("hash key was left out"));
        assert!(explain_pg3("E1", "O1", "00", signs).finding.starts_with("no common mistake"));
    }
}
