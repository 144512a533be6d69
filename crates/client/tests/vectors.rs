//! The published test vectors (docs/vectors/signatures.json), checked from both
//! sides: lunas-protocol computes every string-to-sign and signature, and the
//! client's verifiers accept the callbacks' signatures and refuse them altered.
//!
//! `LUNAS_WRITE_VECTORS=1 cargo test -p lunas-client --test vectors` rewrites the
//! file; the anchors from iFortepay's and Midtrans' pages below never change.

use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use lunas_client::protocol::crypto::{
    RsaPrivateKey, RsaPublicKey, asymmetric_string_to_sign, body_hash, hmac_sha512_base64, notification_string_to_sign,
    symmetric_string_to_sign, token_string_to_sign,
};
use lunas_client::protocol::minify::minify_json;
use lunas_client::protocol::pg3::{basic_authorization, callback_signature, request_signature};
use lunas_client::verify::{CallbackKeys, Refused, verify_pg3_callback, verify_snap_notification_at};
use serde_json::{Value, json};

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/vectors/signatures.json");
const PRIVATE_KEY: &str = include_str!("../../../docs/vectors/demo_private_key.pem");
const PUBLIC_KEY: &str = include_str!("../../../docs/vectors/demo_public_key.pem");

/// iFortepay's cancel example (the SNAP seed page).
const CANCEL_BODY: &str = r#"{"originalPartnerReferenceNo":"2020102900000000000001","originalReferenceNo":"2020102977770000000009","reason":"cancel reason","additionalInfo":{"type":"DYNAMIC"}}"#;

fn vectors() -> Value {
    let key = RsaPrivateKey::from_pem(PRIVATE_KEY).unwrap();
    let pretty = "{\n  \"partnerReferenceNo\": \"INV-1001\",\n  \"amount\": { \"value\": \"15000.00\", \"currency\": \"IDR\" },\n  \"note\": \"keep  these  spaces\"\n}";
    let token_sts = token_string_to_sign("LNS0123456789", "2026-11-24T10:00:00+07:00");
    let symmetric_sts = symmetric_string_to_sign(
        "POST",
        "/v1.0/qr/qr-mpm-cancel",
        "ACCESS_TOKEN",
        CANCEL_BODY.as_bytes(),
        "2020-12-23T08:10:11+07:00",
    );
    let asymmetric_sts =
        asymmetric_string_to_sign("POST", "/v1.0/qr/qr-mpm-generate", pretty.as_bytes(), "2026-11-24T10:00:00+07:00");
    let notify_body = r#"{"responseCode":"2005200","responseMessage":"Request has been processed successfully","originalReferenceNo":"2026112412345678901234","originalPartnerReferenceNo":"INV-1001","serviceCode":"47","latestTransactionStatus":"00","transactionStatusDesc":"Success","paidTime":"2026-11-24T10:01:00+07:00","amount":{"value":"15000.00","currency":"IDR"},"additionalInfo":{"merchantId":"LNS0123456789","paymentChannel":"QRIS","issuer":"SANDBOX"}}"#;
    let notify_sts = notification_string_to_sign(
        "https://shop.example/notify",
        "v1",
        notify_body.as_bytes(),
        "2026-11-24T10:01:02+07:00",
    );
    let request_sig = request_signature("myhashkey", "39482906889734", "13499387088062");
    json!({
        "about": "Signatures lunas makes and checks. Keys and secrets here are published test material; never use them for real. demo_private_key.pem is Midtrans' public SNAP demo key.",
        "snap_body_hash": [
            {"body": "", "minified": "", "body_hash": body_hash(b"")},
            {"body": pretty, "minified": String::from_utf8(minify_json(pretty.as_bytes())).unwrap(), "body_hash": body_hash(pretty.as_bytes())},
        ],
        "snap_access_token": {
            "scheme": "SHA256withRSA over X-CLIENT-KEY|X-TIMESTAMP, Base64 (PKCS#1 v1.5)",
            "private_key": "demo_private_key.pem",
            "client_key": "LNS0123456789", "timestamp": "2026-11-24T10:00:00+07:00",
            "string_to_sign": token_sts, "signature": key.sign_base64(&token_sts),
        },
        "snap_symmetric": {
            "scheme": "HMAC-SHA512 with the client secret over METHOD:path:accessToken:bodyHash:X-TIMESTAMP, Base64 (iFortepay's cancel example)",
            "method": "POST", "path": "/v1.0/qr/qr-mpm-cancel", "access_token": "ACCESS_TOKEN",
            "body": CANCEL_BODY, "timestamp": "2020-12-23T08:10:11+07:00", "client_secret": "o7sWnn0oGXF7y7JBGf18!",
            "body_hash": body_hash(CANCEL_BODY.as_bytes()), "string_to_sign": symmetric_sts,
            "signature": hmac_sha512_base64(b"o7sWnn0oGXF7y7JBGf18!", &symmetric_sts),
        },
        "snap_asymmetric": {
            "scheme": "SHA256withRSA over METHOD:path:bodyHash:X-TIMESTAMP, Base64; the body is hashed minified",
            "private_key": "demo_private_key.pem",
            "method": "POST", "path": "/v1.0/qr/qr-mpm-generate", "body": pretty, "timestamp": "2026-11-24T10:00:00+07:00",
            "string_to_sign": asymmetric_sts, "signature": key.sign_base64(&asymmetric_sts),
        },
        "snap_notification": {
            "scheme": "HMAC-SHA512 with the client secret over notifyUrl:X-VERSION:bodyHash:X-TIMESTAMP, Base64",
            "notify_url": "https://shop.example/notify", "version": "v1", "body": notify_body,
            "timestamp": "2026-11-24T10:01:02+07:00", "client_secret": "merchant-client-secret",
            "string_to_sign": notify_sts, "signature": hmac_sha512_base64(b"merchant-client-secret", &notify_sts),
        },
        "pg3_request": {
            "scheme": "x-req-signature: lower-case hex SHA-256 of hash_key + external_id + order_id (iFortepay's example)",
            "hash_key": "myhashkey", "external_id": "39482906889734", "order_id": "13499387088062",
            "signature": request_sig,
        },
        "pg3_callback": {
            "scheme": "mcp-signature: lower-case hex SHA-256 of transaction_id + x-req-signature",
            "hash_key": "myhashkey",
            "body": {"transaction_id": "604b987e-8e51-4470-9a18-6d8b58b45472", "external_id": "39482906889734", "order_id": "13499387088062", "transaction_status": "PAID"},
            "signature": callback_signature("604b987e-8e51-4470-9a18-6d8b58b45472", &request_sig, None),
        },
        "pg3_basic": {
            "merchant_id": "MCP2021110228", "secret_unbound_id": "secret-unbound",
            "authorization": basic_authorization("MCP2021110228", "secret-unbound"),
        },
    })
}

#[test]
fn the_published_vectors_are_what_lunas_computes() {
    let computed = vectors();
    if std::env::var_os("LUNAS_WRITE_VECTORS").is_some() {
        std::fs::write(FILE, serde_json::to_string_pretty(&computed).unwrap() + "\n").unwrap();
    }
    let published: Value = serde_json::from_str(&std::fs::read_to_string(FILE).unwrap()).unwrap();
    assert_eq!(published, computed, "docs/vectors/signatures.json is stale or lunas changed a signature");
}

#[test]
fn the_vectors_agree_with_the_references() {
    let v = vectors();
    // iFortepay's SNAP cancel example and PG3 examples (ifortepay.md), unchanged.
    assert_eq!(
        v["snap_symmetric"]["signature"],
        "2a+STGtbg/gG7IiZHiIeBD8bhkeEwyTRnQpwxzTBSx7FJAZzXswQg7M6XxzylzTAKdVZjVbqYZAvXNqo2XEK/Q=="
    );
    assert_eq!(v["pg3_request"]["signature"], "4286cfa5b6e72acdc2411a17a4a64500d447186cb5418d5019247147b877eb7c");
    assert_eq!(v["pg3_callback"]["signature"], "8216e39c73e61c809c600a9272f10eb629507f69823c3399d19357ae73df577f");
    assert_eq!(v["snap_body_hash"][0]["body_hash"], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // RSA signatures verify with the demo public key.
    let public = RsaPublicKey::from_pem(PUBLIC_KEY).unwrap();
    for name in ["snap_access_token", "snap_asymmetric"] {
        let (sts, signature) = (v[name]["string_to_sign"].as_str().unwrap(), v[name]["signature"].as_str().unwrap());
        assert!(public.verify_base64(sts, signature), "{name}");
        assert!(!public.verify_base64(&format!("{sts} "), signature), "{name} altered");
    }
}

fn keys() -> CallbackKeys {
    CallbackKeys {
        notify_url: "https://shop.example/notify".into(),
        client_secret: "merchant-client-secret".into(),
        hash_key: "myhashkey".into(),
        max_age: Duration::from_secs(300),
    }
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    pairs
        .iter()
        .map(|(name, value)| (http::HeaderName::from_static(name), HeaderValue::from_str(value).unwrap()))
        .collect()
}

#[test]
fn the_client_verifies_the_notification_vector_and_nothing_else() {
    let v = &vectors()["snap_notification"];
    let (body, signature, timestamp) =
        (v["body"].as_str().unwrap(), v["signature"].as_str().unwrap(), v["timestamp"].as_str().unwrap());
    let at = lunas_client::protocol::timestamp::parse(timestamp).unwrap() + time::Duration::seconds(30);
    let genuine = headers(&[("x-timestamp", timestamp), ("x-signature", signature), ("x-version", "v1")]);
    assert_eq!(verify_snap_notification_at(&genuine, body.as_bytes(), &keys(), at), Ok(()));
    // Spaced out, the body still verifies: the hash is over its minified form.
    let spaced = body.replace(",\"", ", \"");
    assert_eq!(verify_snap_notification_at(&genuine, spaced.as_bytes(), &keys(), at), Ok(()));

    let tampered = body.replace("15000.00", "1.00");
    assert_eq!(verify_snap_notification_at(&genuine, tampered.as_bytes(), &keys(), at), Err(Refused::BadSignature));
    let other_url = CallbackKeys { notify_url: "https://shop.example/other".into(), ..keys() };
    assert_eq!(verify_snap_notification_at(&genuine, body.as_bytes(), &other_url, at), Err(Refused::BadSignature));
    let late = at + time::Duration::hours(1);
    assert_eq!(verify_snap_notification_at(&genuine, body.as_bytes(), &keys(), late), Err(Refused::Stale));
    let unsigned = headers(&[("x-timestamp", timestamp), ("x-version", "v1")]);
    assert_eq!(
        verify_snap_notification_at(&unsigned, body.as_bytes(), &keys(), at),
        Err(Refused::MissingHeader("X-SIGNATURE"))
    );
    // An empty secret would make signatures anyone can compute: nothing verifies.
    let keyless = CallbackKeys { client_secret: String::new(), ..keys() };
    assert_eq!(verify_snap_notification_at(&genuine, body.as_bytes(), &keyless, at), Err(Refused::NoKey));
    let garbled = headers(&[("x-timestamp", "yesterday"), ("x-signature", signature), ("x-version", "v1")]);
    assert_eq!(verify_snap_notification_at(&garbled, body.as_bytes(), &keys(), at), Err(Refused::BadTimestamp));
}

#[test]
fn the_client_verifies_the_pg3_callback_vector_and_nothing_else() {
    let v = &vectors()["pg3_callback"];
    let body = v["body"].to_string();
    let signature = v["signature"].as_str().unwrap();
    let ids = verify_pg3_callback(&headers(&[("mcp-signature", signature)]), body.as_bytes(), &keys()).unwrap();
    assert_eq!(ids.transaction_id, "604b987e-8e51-4470-9a18-6d8b58b45472");
    let upper = signature.to_ascii_uppercase();
    assert!(verify_pg3_callback(&headers(&[("mcp-signature", &upper)]), body.as_bytes(), &keys()).is_ok());

    let other_key = CallbackKeys { hash_key: "another".into(), ..keys() };
    let refused = verify_pg3_callback(&headers(&[("mcp-signature", signature)]), body.as_bytes(), &other_key);
    assert_eq!(refused.unwrap_err(), Refused::BadSignature);
    let moved = body.replace("39482906889734", "39482906889735");
    let refused = verify_pg3_callback(&headers(&[("mcp-signature", signature)]), moved.as_bytes(), &keys());
    assert_eq!(refused.unwrap_err(), Refused::BadSignature);
    assert_eq!(
        verify_pg3_callback(&HeaderMap::new(), body.as_bytes(), &keys()).unwrap_err(),
        Refused::MissingHeader("mcp-signature")
    );
    let keyless = CallbackKeys { hash_key: String::new(), ..keys() };
    let refused = verify_pg3_callback(&headers(&[("mcp-signature", signature)]), body.as_bytes(), &keyless);
    assert_eq!(refused.unwrap_err(), Refused::NoKey);
    let no_ids = verify_pg3_callback(&headers(&[("mcp-signature", signature)]), b"{}", &keys());
    assert!(matches!(no_ids, Err(Refused::BadBody(_))));
}
