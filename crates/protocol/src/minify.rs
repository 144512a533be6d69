//! Canonical JSON minification for body hashes.
//!
//! SNAP hashes the request body "minified": insignificant whitespace is removed, and
//! nothing else changes. Re-serialising through a JSON library would reorder keys or
//! rewrite escapes and numbers, so this works on the raw bytes: it drops space, tab,
//! CR and LF outside string literals and copies everything else verbatim.

/// Removes whitespace outside JSON string literals, leaving string contents, escapes,
/// key order and number spelling exactly as sent.
pub fn minify_json(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut in_string = false;
    let mut escaped = false;
    for &byte in raw {
        if in_string {
            out.push(byte);
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
        } else {
            match byte {
                b' ' | b'\t' | b'\r' | b'\n' => {}
                b'"' => {
                    in_string = true;
                    out.push(byte);
                }
                _ => out.push(byte),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn strips_whitespace_outside_strings_only() {
        let raw = b"{\n  \"name\" : \"Setya Wardana\",\r\n\t\"q\": \"a \\\" b\" }";
        assert_eq!(minify_json(raw), b"{\"name\":\"Setya Wardana\",\"q\":\"a \\\" b\"}".to_vec());
    }

    #[test]
    fn keeps_escaped_backslash_before_closing_quote() {
        let raw = br#"{ "path" : "C:\\" , "x" : 1 }"#;
        assert_eq!(minify_json(raw), br#"{"path":"C:\\","x":1}"#.to_vec());
    }

    #[test]
    fn seed_cancel_request_minifies_to_the_hashed_form() {
        let raw = b"{\n\"originalPartnerReferenceNo\": \"2020102900000000000001\",\n\"originalReferenceNo\": \"2020102977770000000009\",\n\"reason\": \"cancel reason\",\n\"additionalInfo\": {\n\"type\": \"DYNAMIC\"\n}\n}";
        assert_eq!(
            String::from_utf8(minify_json(raw)).unwrap(),
            r#"{"originalPartnerReferenceNo":"2020102900000000000001","originalReferenceNo":"2020102977770000000009","reason":"cancel reason","additionalInfo":{"type":"DYNAMIC"}}"#
        );
    }

    fn json_strings(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(items) => items.iter().for_each(|v| json_strings(v, out)),
            serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| {
                out.push(k.clone());
                json_strings(v, out);
            }),
            _ => {}
        }
    }

    proptest! {
        /// Minifying any pretty-printed document leaves every key and string value
        /// byte-identical and the document equal to the compact form.
        #[test]
        fn minify_never_changes_string_contents(
            entries in proptest::collection::vec(("[ a-zA-Z0-9\\\\\"\t\n{}:,]{0,12}", "[ a-zA-Z0-9\\\\\"\t\n{}:,]{0,24}"), 0..6)
        ) {
            let map: serde_json::Map<String, serde_json::Value> = entries
                .into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect();
            let doc = serde_json::Value::Object(map);
            let pretty = serde_json::to_vec_pretty(&doc).unwrap();
            let minified = minify_json(&pretty);
            prop_assert_eq!(&minified, &serde_json::to_vec(&doc).unwrap());
            let reparsed: serde_json::Value = serde_json::from_slice(&minified).unwrap();
            let (mut before, mut after) = (Vec::new(), Vec::new());
            json_strings(&doc, &mut before);
            json_strings(&reparsed, &mut after);
            prop_assert_eq!(before, after);
        }
    }
}
