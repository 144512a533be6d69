//! The outbox's stored notices: decoding any stored text (version 2, a lunas 0.1
//! notice rendered anew, or junk) never panics, and a body stored by `encode` is
//! (a JSON object) is read back byte for byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lunas::domain::{Face, Merchant, MerchantId};
use lunas::render::notice::{decode, encode};
use serde_json::value::RawValue;

fuzz_target!(|stored: &str| {
    let merchant = Merchant {
        id: MerchantId(1),
        name: "Toko Contoh".into(),
        partner_id: "LNS226533604075".into(),
        client_secret: String::new(),
        public_key_pem: None,
        callback_url: None,
        secret_unbound_id: String::new(),
        hash_key: String::new(),
        created_at: 0,
    };
    let _ = decode(stored, &merchant);
    // What lunas stores: a notification body, always a JSON object.
    if let Some(body) = serde_json::from_str::<&RawValue>(stored).ok().map(RawValue::get).filter(|b| b.starts_with('{'))
    {
        for face in [Face::Snap, Face::Pg3, Face::SnapVa] {
            let notice = decode(&encode(face, body.as_bytes()), &merchant).expect("a stored body decodes");
            assert_eq!((notice.face, notice.body.as_slice()), (face, body.as_bytes()));
        }
    }
});
