//! SNAP body minification: never panics, is idempotent, and removes only whitespace
//! outside string literals, so a JSON document means exactly the same after.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lunas_protocol::minify::minify_json;
use serde_json::Value;

fuzz_target!(|raw: &[u8]| {
    let once = minify_json(raw);
    assert_eq!(minify_json(&once), once, "minifying twice changes nothing more");
    let bare = |bytes: &[u8]| bytes.iter().copied().filter(|b| !b" \t\r\n".contains(b)).collect::<Vec<_>>();
    assert_eq!(bare(raw), bare(&once), "only whitespace is removed");
    if let Ok(before) = serde_json::from_slice::<Value>(raw) {
        let after: Value = serde_json::from_slice(&once).expect("a minified document still parses");
        assert_eq!(before, after, "string contents are untouched");
    }
});
