//! Reading a request body by the paths validation names, to hold validation to its
//! word: a field it calls missing is not there, one it calls malformed is.

use lunas_protocol::validate::{FieldError, Problem};
use serde_json::Value;

/// The value at a path such as `amount.value` or `billDetails[0].billAmount`.
pub fn at<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    let mut here = doc;
    for part in path.split('.') {
        let (key, indexes) = part.split_once('[').map_or((part, ""), |(k, rest)| (k, rest));
        if !key.is_empty() {
            here = here.get(key)?;
        }
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            here = here.get(index.strip_suffix(']')?.parse::<usize>().ok()?)?;
        }
    }
    Some(here)
}

/// Absent, null or empty: what validation calls missing.
pub fn is_blank(value: Option<&Value>) -> bool {
    matches!(value, None | Some(Value::Null)) || value.and_then(Value::as_str) == Some("")
}

/// A field under each name the parser accepts for it (SNAP renamed `granttype`).
fn spellings(field: &str) -> impl Iterator<Item = &str> {
    let aliases: &[&str] = if field == "grantType" { &["granttype", "grant_type"] } else { &[] };
    std::iter::once(field).chain(aliases.iter().copied())
}

/// Panics unless `error` names a field of `body` truthfully.
pub fn check_named(body: &[u8], error: &FieldError) {
    let field = &error.field;
    assert!(
        !field.is_empty() && field.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.[]".contains(&b)),
        "a refusal names its field as a path: {field:?}"
    );
    // A typed parse skips unknown fields unchecked, so a body it accepted may still
    // hold bytes no JSON document may (bad UTF-8, a lone surrogate) where nobody reads.
    let Ok(doc) = serde_json::from_slice::<Value>(body) else { return };
    let value = spellings(field).find_map(|name| at(&doc, name).filter(|v| !v.is_null())).or(at(&doc, field));
    match error.problem {
        Problem::Missing => assert!(is_blank(value), "{field} is called missing but is {value:?}"),
        Problem::Format => assert!(value.is_some(), "{field} is called malformed but is absent"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths() {
        let doc = json!({"amount": {"value": "1.00"}, "items": [{"name": "a"}, [1, 2]]});
        assert_eq!(at(&doc, "amount.value"), Some(&json!("1.00")));
        assert_eq!(at(&doc, "items[0].name"), Some(&json!("a")));
        assert_eq!(at(&doc, "items[1][1]"), Some(&json!(2)));
        assert_eq!(at(&doc, "items[2]"), None);
        assert_eq!(at(&doc, "amount.currency"), None);
    }

    #[test]
    #[should_panic(expected = "called missing")]
    fn a_present_field_is_not_missing() {
        check_named(br#"{"reason":"x"}"#, &FieldError::missing("reason"));
    }
}
