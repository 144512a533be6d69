//! The SDK's callback checks (lunas-client), as a merchant's endpoint runs them on
//! whatever arrives: header lines and a body (two NUL-separated fields). Nothing
//! panics; a callback is accepted only with the signature the keys make, and the
//! same callback with that signature always is. The keys and the time are those of
//! the published vectors (docs/vectors/signatures.json), which the seeds carry.
#![no_main]

use std::time::Duration;

use http::HeaderValue;
use libfuzzer_sys::fuzz_target;
use lunas_client::verify::{CallbackKeys, verify_pg3_callback, verify_snap_notification_at};
use lunas_protocol::crypto::{hmac_sha512_base64, notification_string_to_sign};
use lunas_protocol::pg3::SignedIds;
use lunas_protocol::timestamp::parse;
use time::macros::datetime;

fuzz_target!(|data: &[u8]| {
    let [head, body] = lunas_fuzz::fields::<2>(data);
    let mut headers = lunas_fuzz::headers(head);
    let keys = CallbackKeys {
        notify_url: "https://shop.example/notify".into(),
        client_secret: "merchant-client-secret".into(),
        hash_key: "myhashkey".into(),
        max_age: Duration::from_secs(300),
    };
    let now = datetime!(2026-11-24 10:01:00 +7);

    let text = |name: &str, headers: &http::HeaderMap| {
        headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).map(String::from)
    };
    let snap = verify_snap_notification_at(&headers, body, &keys, now);
    if let (Some(version), Some(timestamp)) = (text("x-version", &headers), text("x-timestamp", &headers)) {
        let sts = notification_string_to_sign(&keys.notify_url, &version, body, &timestamp);
        let expected = hmac_sha512_base64(keys.client_secret.as_bytes(), &sts);
        if snap.is_ok() {
            assert_eq!(text("x-signature", &headers).as_deref(), Some(expected.as_str()));
        }
        let fresh = parse(&timestamp).is_some_and(|at| (now - at).unsigned_abs() <= keys.max_age);
        if fresh {
            headers.insert("x-signature", HeaderValue::from_str(&expected).expect("base64 is header-safe"));
            assert_eq!(verify_snap_notification_at(&headers, body, &keys, now), Ok(()));
        }
    }

    let pg3 = verify_pg3_callback(&headers, body, &keys);
    if let Ok(ids) = SignedIds::from_body(body) {
        let expected = ids.callback_signature(&keys.hash_key);
        if pg3.is_ok() {
            assert_eq!(text("mcp-signature", &headers).map(|s| s.to_ascii_lowercase()), Some(expected.clone()));
        }
        headers.insert("mcp-signature", HeaderValue::from_str(&expected).expect("hex is header-safe"));
        assert_eq!(verify_pg3_callback(&headers, body, &keys), Ok(ids));
    } else {
        assert!(pg3.is_err(), "a body without its ids is refused");
    }
});
