//! QRIS payloads as a wallet reads them (the sandbox's QR payment parser): decoding
//! and scanning never panic, whatever decodes encodes back to the same payload, and
//! no amount a wallet reads is negative.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lunas_protocol::qris::{Tlv, crc16, decode, parse_tlv, scan};

fn encode(objects: &[Tlv]) -> String {
    objects.iter().map(|t| format!("{}{:02}{}", t.id, t.value.len(), t.value)).collect()
}

fuzz_target!(|payload: &str| {
    if let Ok(objects) = parse_tlv(payload) {
        assert_eq!(encode(&objects), payload, "TLV objects spell the text they came from");
    }
    if let Ok(objects) = decode(payload) {
        let body = format!("{}6304", encode(&objects));
        let sealed = format!("{body}{}", crc16(&body));
        assert!(sealed.eq_ignore_ascii_case(payload), "{sealed} from {payload}");
    }
    if let Some(amount) = scan(payload).ok().and_then(|scanned| scanned.amount) {
        assert!(!amount.sen().is_negative());
    }
});
