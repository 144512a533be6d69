//! The whole gateway, in process: any request (signed by the harness where its
//! placeholders ask) gets no server error and an answer in its family's shape, and
//! nothing panics on the way, in a handler, the request log or a use case.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lunas_fuzz::gateway::harness;

fuzz_target!(|raw: &[u8]| {
    if let Some(answer) = harness().send(raw) {
        answer.check();
    }
});
