//! Timestamps: parsing never panics, and any time it accepts formats in Jakarta
//! time (as every answer and notification writes it) and parses back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lunas_protocol::timestamp::{format, format_millis, parse};

fuzz_target!(|text: &str| {
    let Some(at) = parse(text) else { return };
    let seconds = at.replace_nanosecond(0).expect("zero nanoseconds are valid");
    assert_eq!(parse(&format(at)), Some(seconds));
    let millis = at.replace_millisecond(at.millisecond()).expect("the same millisecond is valid");
    assert_eq!(parse(&format_millis(at)), Some(millis));
});
