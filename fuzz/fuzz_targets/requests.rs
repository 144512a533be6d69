//! The request bodies of every SNAP and PG3 endpoint, and PG3's `Authorization`:
//! parsing and validation never panic, and a refusal names a field truthfully (one
//! it calls missing is absent or blank, one it calls malformed is there).
//!
//! The first byte chooses the endpoint (`b'0' + n` in the seeds); the rest is the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lunas_fuzz::json::check_named;
use lunas_protocol::pg3::{self, parse_basic_authorization};
use lunas_protocol::snap::{qr, token, va};
use lunas_protocol::validate::{BodyError, FieldError, parse_body};
use serde::de::DeserializeOwned;

/// Parses `body` as `T`, validates it with `validate`, and checks any refusal.
fn check<T: DeserializeOwned, V>(body: &[u8], validate: impl Fn(&T) -> Result<V, FieldError>) {
    match parse_body::<T>(body) {
        Ok(request) => {
            if let Err(error) = validate(&request) {
                check_named(body, &error);
            }
        }
        Err(BodyError::Field(error)) => {
            assert_eq!(error.problem, lunas_protocol::validate::Problem::Format);
            check_named(body, &error);
        }
        Err(BodyError::Malformed) => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&endpoint, body)) = data.split_first() else { return };
    match endpoint.wrapping_sub(b'0') % 14 {
        0 => check(body, token::TokenRequest::validate),
        1 => check(body, qr::GenerateQrRequest::validate),
        2 => check(body, qr::QueryQrRequest::validate),
        3 => check(body, qr::CancelQrRequest::validate),
        4 => check(body, qr::RefundQrRequest::validate),
        5 => check(body, |r: &va::CreateVaRequest| r.validate(va::TrxType::Closed)),
        6 => check(body, |r: &va::CreateVaRequest| r.validate(va::TrxType::Open)),
        7 => check(body, |r: &va::VaLookupRequest| r.validate(true)),
        8 => check(body, |r: &va::VaLookupRequest| r.validate(false)),
        9 => check(body, va::UpdateStatusRequest::validate),
        10 => check(body, va::StatusRequest::validate),
        11 => check(body, pg3::va::CreateVaRequest::validate),
        12 => check(body, pg3::va::VaLookupRequest::validate),
        _ => {
            if let Some((user, password)) = std::str::from_utf8(body).ok().and_then(parse_basic_authorization) {
                assert_eq!(
                    parse_basic_authorization(&pg3::basic_authorization(&user, &password)),
                    Some((user, password))
                );
            }
        }
    }
});
