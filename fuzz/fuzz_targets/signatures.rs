//! Signature checks with inputs of any shape: a secret, a message, a signature and a
//! public key as sent (four NUL-separated fields). Nothing panics; a signature
//! verifies only if it is the one the key makes, and that one always does.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use lunas_protocol::crypto::{
    RsaPrivateKey, RsaPublicKey, asymmetric_string_to_sign, hmac_sha512_base64, symmetric_string_to_sign,
    verify_hmac_sha512_base64,
};

/// The published demo key, so that the seeds' signatures (docs/vectors) are its own.
fn key() -> &'static (RsaPrivateKey, RsaPublicKey) {
    static KEY: OnceLock<(RsaPrivateKey, RsaPublicKey)> = OnceLock::new();
    KEY.get_or_init(|| {
        let pem = include_str!("../../docs/vectors/demo_private_key.pem");
        let private = RsaPrivateKey::from_pem(pem).expect("the demo key parses");
        let public = RsaPublicKey::from_pem(&private.public_key_pem()).expect("our own key parses");
        (private, public)
    })
}

fuzz_target!(|data: &[u8]| {
    let [secret, message, signature, key_text] = lunas_fuzz::fields::<4>(data);
    let message = String::from_utf8_lossy(message);
    let signature = String::from_utf8_lossy(signature);

    let hmac = hmac_sha512_base64(secret, &message);
    assert!(verify_hmac_sha512_base64(secret, &message, &hmac));
    if verify_hmac_sha512_base64(secret, &message, &signature) {
        assert_eq!(signature.trim(), hmac, "only the HMAC itself verifies");
    }

    let (private, public) = key();
    let rsa = private.sign_base64(&message);
    assert!(public.verify_base64(&message, &rsa));
    if public.verify_base64(&message, &signature) {
        assert_eq!(signature.trim(), rsa, "only the key's signature verifies");
    }

    // A merchant's key as uploaded, PEM or DER: parsed or refused, and usable if parsed.
    let sent = [RsaPublicKey::from_pem(&String::from_utf8_lossy(key_text)), RsaPublicKey::from_der(key_text)];
    for sent in sent.into_iter().flatten() {
        sent.verify_base64(&message, &signature);
    }

    // The strings to sign take every header verbatim.
    let text = String::from_utf8_lossy(key_text);
    symmetric_string_to_sign(&text, &text, &signature, message.as_bytes(), &text);
    asymmetric_string_to_sign(&text, &signature, message.as_bytes(), &text);
});
