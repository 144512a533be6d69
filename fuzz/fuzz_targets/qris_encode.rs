//! QRIS encoding: any dynamic QR that encodes decodes to the objects it was made of,
//! nested templates included, and a wallet reads its amount, name and reference.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use lunas_protocol::money::Amount;
use lunas_protocol::qris::{DynamicQris, TipIndicator, Tlv, decode, scan};

#[derive(Arbitrary, Debug)]
struct Input {
    acquirer_domain: String,
    merchant_pan: String,
    merchant_id: String,
    nmid: String,
    merchant_criteria: String,
    merchant_category_code: String,
    amount_sen: u64,
    tip: Option<Option<u64>>,
    merchant_name: String,
    merchant_city: String,
    postal_code: String,
    reference_label: String,
    terminal_label: Option<String>,
}

fuzz_target!(|input: Input| {
    let sen = |value: u64| Amount::from_sen(i64::try_from(value).unwrap_or(i64::MAX));
    let qr = DynamicQris {
        acquirer_domain: input.acquirer_domain,
        merchant_pan: input.merchant_pan,
        merchant_id: input.merchant_id,
        nmid: input.nmid,
        merchant_criteria: input.merchant_criteria,
        merchant_category_code: input.merchant_category_code,
        amount: sen(input.amount_sen),
        tip: input.tip.map(|fee| fee.map_or(TipIndicator::Prompt, |fee| TipIndicator::FixedFee(sen(fee)))),
        merchant_name: input.merchant_name,
        merchant_city: input.merchant_city,
        postal_code: input.postal_code,
        reference_label: input.reference_label,
        terminal_label: input.terminal_label,
    };
    let Ok(payload) = qr.encode() else { return };
    let objects = decode(&payload).expect("an encoded QR decodes");
    assert_eq!(objects, expected(&qr), "every object decodes as it was encoded");
    let scanned = scan(&payload).expect("an encoded QR scans");
    assert_eq!(scanned.amount, Some(qr.amount));
    assert_eq!(scanned.merchant_name, qr.merchant_name);
    assert_eq!(scanned.reference_label.as_deref(), Some(qr.reference_label.as_str()));
});

/// The objects `qr` is made of, as EMVCo lays them out, nested templates spelled out.
fn expected(qr: &DynamicQris) -> Vec<Tlv> {
    let tlv = |id: &str, value: &str| Tlv { id: id.into(), value: value.into() };
    let nest = |objects: &[Tlv]| -> String {
        objects.iter().map(|t| format!("{}{:02}{}", t.id, t.value.len(), t.value)).collect()
    };
    let account: String = nest(&[
        tlv("00", &qr.acquirer_domain),
        tlv("01", &qr.merchant_pan),
        tlv("02", &qr.merchant_id),
        tlv("03", &qr.merchant_criteria),
    ]);
    let national: String = nest(&[tlv("00", "ID.CO.QRIS.WWW"), tlv("02", &qr.nmid), tlv("03", &qr.merchant_criteria)]);
    let mut additional = vec![tlv("05", &qr.reference_label)];
    additional.extend(qr.terminal_label.as_deref().map(|t| tlv("07", t)));
    let mut out = vec![
        tlv("00", "01"),
        tlv("01", "12"),
        tlv("26", &account),
        tlv("51", &national),
        tlv("52", &qr.merchant_category_code),
        tlv("53", "360"),
        tlv("54", &qr.amount.to_qris()),
    ];
    match qr.tip {
        None => {}
        Some(TipIndicator::Prompt) => out.push(tlv("55", "01")),
        Some(TipIndicator::FixedFee(fee)) => out.extend([tlv("55", "02"), tlv("56", &fee.to_qris())]),
    }
    out.extend([
        tlv("58", "ID"),
        tlv("59", &qr.merchant_name),
        tlv("60", &qr.merchant_city),
        tlv("61", &qr.postal_code),
        tlv("62", &nest(&additional)),
    ]);
    out
}
