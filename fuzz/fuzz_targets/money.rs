//! Money spellings: parsing never panics or overflows, and what parses prints back:
//! a SNAP amount exactly as written, rupiah and QRIS amounts to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lunas_protocol::money::Amount;

fuzz_target!(|text: &str| {
    if let Some(amount) = Amount::parse_snap(text) {
        assert_eq!(amount.to_string(), text, "a SNAP amount prints as it was written");
        assert!(!amount.sen().is_negative());
    }
    if let Some(amount) = Amount::parse_rupiah(text) {
        assert_eq!(Amount::parse_snap(&amount.to_string()), Some(amount));
    }
    if let Some(amount) = Amount::parse_qris(text) {
        assert_eq!(Amount::parse_qris(&amount.to_qris()), Some(amount));
    }
    if let Ok(sen) = text.parse::<i64>() {
        let amount = Amount::from_sen(sen);
        let printed = amount.to_string();
        assert_eq!(Amount::parse_snap(&printed).is_some(), sen >= 0 && printed.len() <= 17, "{printed}");
    }
});
