//! Field validation shared by both API families: a failure names the field (as a
//! JSON path such as `amount.value`) and says whether it was missing or malformed.

use serde::de::DeserializeOwned;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// Absent, null or empty.
    Missing,
    /// Present but of the wrong type, length or pattern.
    Format,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub problem: Problem,
}

impl FieldError {
    pub fn missing(field: impl Into<String>) -> Self {
        Self { field: field.into(), problem: Problem::Missing }
    }

    pub fn format(field: impl Into<String>) -> Self {
        Self { field: field.into(), problem: Problem::Format }
    }
}

/// Why a request body could not be turned into a wire type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Not a JSON object at all.
    Malformed,
    Field(FieldError),
}

impl From<FieldError> for BodyError {
    fn from(e: FieldError) -> Self {
        BodyError::Field(e)
    }
}

/// Deserialises a JSON object, naming the field whose type is wrong.
pub fn parse_body<T: DeserializeOwned>(raw: &[u8]) -> Result<T, BodyError> {
    let trimmed = raw.trim_ascii_start();
    if !trimmed.starts_with(b"{") {
        return Err(BodyError::Malformed);
    }
    let de = &mut serde_json::Deserializer::from_slice(raw);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        // serde stops at the first error: a type error is the field's only if the
        // rest of the body is JSON too.
        let is_json = || serde_json::from_slice::<serde_json::Value>(raw).is_ok();
        if inner.classify() == serde_json::error::Category::Data && path != "." && is_json() {
            BodyError::Field(FieldError::format(path))
        } else {
            BodyError::Malformed
        }
    })?;
    // One JSON object and nothing after it but whitespace: `{…}x` and `{…}{…}` are
    // malformed, not a first object with noise.
    de.end().map_err(|_| BodyError::Malformed)?;
    Ok(value)
}

/// `Content-Type: application/json`, with parameters such as `charset` allowed.
pub fn is_json_content_type(value: &str) -> bool {
    value.split(';').next().is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// A mandatory string of at most `max` characters.
pub fn required<'a>(value: &'a Option<String>, field: &str, max: usize) -> Result<&'a str, FieldError> {
    match value.as_deref() {
        None | Some("") => Err(FieldError::missing(field)),
        Some(v) if v.chars().count() > max => Err(FieldError::format(field)),
        Some(v) => Ok(v),
    }
}

/// An optional string of at most `max` characters; empty counts as absent.
pub fn optional<'a>(value: &'a Option<String>, field: &str, max: usize) -> Result<Option<&'a str>, FieldError> {
    match value.as_deref() {
        None | Some("") => Ok(None),
        Some(v) if v.chars().count() > max => Err(FieldError::format(field)),
        Some(v) => Ok(Some(v)),
    }
}

/// Fails with a format error unless `ok` holds.
pub fn ensure(ok: bool, field: &str) -> Result<(), FieldError> {
    if ok { Ok(()) } else { Err(FieldError::format(field)) }
}

pub fn is_alphanumeric(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric())
}

pub fn is_printable_ascii(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
}

pub fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A plausible mailbox: one `@`, a dotted domain, no spaces.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
}

/// An absolute `http` or `https` URL with a host.
pub fn is_http_url(s: &str) -> bool {
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(rest) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Probe {
        name: Option<String>,
        inner: Option<Inner>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        value: Option<String>,
    }

    #[test]
    fn type_errors_name_the_path() {
        let err = parse_body::<Probe>(br#"{"inner":{"value":12}}"#).unwrap_err();
        assert_eq!(err, BodyError::Field(FieldError::format("inner.value")));
        let err = parse_body::<Probe>(br#"{"name":[1]}"#).unwrap_err();
        assert_eq!(err, BodyError::Field(FieldError::format("name")));
    }

    /// Found by fuzzing (fuzz/seeds/requests/type-error-then-syntax-error): a type
    /// error came before a syntax error later in the body, so a body that is not
    /// JSON was answered as if one of its fields were malformed.
    #[test]
    fn a_body_that_is_not_json_is_malformed_whatever_comes_first() {
        for raw in [&br#"{"name": 1, "inner": }"#[..], br#"{"name": 1} x"#, b"{\"name\": [1], \"in\xffner\": 2}"] {
            assert_eq!(parse_body::<Probe>(raw).unwrap_err(), BodyError::Malformed, "{raw:?}");
        }
    }

    #[test]
    fn non_objects_and_syntax_errors_are_malformed() {
        for raw in [&b"[]"[..], b"", b"{", b"null", b"{\"name\":\"x\",}", b"\"text\""] {
            assert_eq!(parse_body::<Probe>(raw).unwrap_err(), BodyError::Malformed, "{raw:?}");
        }
    }

    #[test]
    fn nothing_but_whitespace_may_follow_the_object() {
        for raw in [&b"{}x"[..], b"{}{}", b"{\"name\":\"a\"} []", b"{}\n,"] {
            assert_eq!(parse_body::<Probe>(raw).unwrap_err(), BodyError::Malformed, "{raw:?}");
        }
        assert!(parse_body::<Probe>(b" {\"name\":\"a\"} \r\n").is_ok());
    }

    #[test]
    fn json_content_types() {
        for ok in ["application/json", "Application/JSON", "application/json; charset=utf-8", "application/json;"] {
            assert!(is_json_content_type(ok), "{ok}");
        }
        for bad in ["application/jsonp", "text/json", "application/json-patch+json", "", "application"] {
            assert!(!is_json_content_type(bad), "{bad}");
        }
    }

    #[test]
    fn lengths_count_characters() {
        let v = Some("é".repeat(3));
        assert_eq!(required(&v, "f", 3).unwrap(), "ééé");
        assert_eq!(required(&v, "f", 2).unwrap_err(), FieldError::format("f"));
        assert_eq!(required(&Some(String::new()), "f", 2).unwrap_err(), FieldError::missing("f"));
        assert_eq!(optional(&None, "f", 2).unwrap(), None);
    }

    #[test]
    fn formats() {
        assert!(is_email("a.b@example.co.id"));
        for bad in ["a@b", "@b.com", "a@.com", "a b@c.com", "a@b@c.com", "plain"] {
            assert!(!is_email(bad), "{bad}");
        }
        assert!(is_http_url("https://merchant.example/cb?x=1"));
        assert!(is_http_url("http://127.0.0.1:8080/notify"));
        for bad in ["ftp://x", "https://", "merchant.example", "https://a b"] {
            assert!(!is_http_url(bad), "{bad}");
        }
    }
}
