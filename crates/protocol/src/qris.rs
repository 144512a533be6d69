//! QRIS merchant-presented payloads (EMVCo MPM): TLV objects, each `ID(2) LEN(2)
//! VALUE`, ending with a CRC-16/CCITT-FALSE over everything up to and including
//! `6304`.

use std::fmt::Write;

use crate::money::Amount;

const CRC16: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_IBM_3740);

/// CRC-16/CCITT-FALSE rendered as four upper-case hex digits.
pub fn crc16(data: &str) -> String {
    format!("{:04X}", CRC16.checksum(data.as_bytes()))
}

/// One TLV object with a two-digit id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tlv {
    pub id: String,
    pub value: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QrisError {
    #[error("truncated or malformed TLV at offset {0}")]
    Malformed(usize),
    #[error("the payload does not end with a CRC object")]
    MissingCrc,
    #[error("CRC mismatch: payload says {stated}, content gives {computed}")]
    BadCrc { stated: String, computed: String },
    #[error("mandatory tag {0} is missing")]
    MissingTag(&'static str),
    #[error("value for tag {0} is too long or not ASCII")]
    TooLong(String),
}

/// Splits a TLV string into objects. Values are counted in characters, so only
/// ASCII payloads (all QRIS payloads) split correctly; anything else is malformed.
pub fn parse_tlv(data: &str) -> Result<Vec<Tlv>, QrisError> {
    if !data.is_ascii() {
        return Err(QrisError::Malformed(0));
    }
    let mut out = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let header = data.get(at..at + 4).ok_or(QrisError::Malformed(at))?;
        let (id, len) = header.split_at(2);
        if !id.bytes().all(|b| b.is_ascii_digit()) || !len.bytes().all(|b| b.is_ascii_digit()) {
            return Err(QrisError::Malformed(at));
        }
        let len: usize = len.parse().map_err(|_| QrisError::Malformed(at))?;
        let value = data.get(at + 4..at + 4 + len).ok_or(QrisError::Malformed(at))?;
        out.push(Tlv { id: id.to_string(), value: value.to_string() });
        at += 4 + len;
    }
    Ok(out)
}

fn push_tlv(out: &mut String, id: &str, value: &str) -> Result<(), QrisError> {
    // Lengths count characters and wallets read them as bytes: ASCII only.
    if value.len() > 99 || !value.is_ascii() {
        return Err(QrisError::TooLong(id.to_string()));
    }
    write!(out, "{id}{:02}{value}", value.len()).expect("writing to a String cannot fail");
    Ok(())
}

/// Appends tag 63 with the CRC of everything before it.
fn seal(mut body: String) -> String {
    body.push_str("6304");
    let crc = crc16(&body);
    body.push_str(&crc);
    body
}

/// Checks the trailing CRC and returns the top-level objects (without tag 63).
pub fn decode(payload: &str) -> Result<Vec<Tlv>, QrisError> {
    let crc_at = payload.len().checked_sub(8).ok_or(QrisError::MissingCrc)?;
    if payload.get(crc_at..crc_at + 4) != Some("6304") {
        return Err(QrisError::MissingCrc);
    }
    let stated = &payload[crc_at + 4..];
    let computed = crc16(&payload[..crc_at + 4]);
    if !stated.eq_ignore_ascii_case(&computed) {
        return Err(QrisError::BadCrc { stated: stated.to_string(), computed });
    }
    parse_tlv(&payload[..crc_at])
}

/// A dynamic (one-time) QRIS for one payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamicQris {
    /// Reverse-domain id of the acquirer in the merchant account template (tag 26.00).
    pub acquirer_domain: String,
    /// Merchant PAN (tag 26.01), `9360…`.
    pub merchant_pan: String,
    /// Merchant id at the acquirer (tag 26.02).
    pub merchant_id: String,
    /// National merchant id (tag 51.02), `ID` + 13 digits.
    pub nmid: String,
    /// `UMI`, `UKE`, `UME`, `UBE` or `URE`.
    pub merchant_criteria: String,
    pub merchant_category_code: String,
    /// Written without decimals when whole rupiah.
    pub amount: Amount,
    pub tip: Option<TipIndicator>,
    pub merchant_name: String,
    pub merchant_city: String,
    pub postal_code: String,
    /// The gateway's reference number, carried as the reference label (tag 62.05).
    pub reference_label: String,
    pub terminal_label: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TipIndicator {
    /// `55 = 01`: the payer's app asks for a tip.
    Prompt,
    /// `55 = 02` with a fixed fee (tag 56).
    FixedFee(Amount),
}

impl DynamicQris {
    pub fn encode(&self) -> Result<String, QrisError> {
        let mut account = String::new();
        push_tlv(&mut account, "00", &self.acquirer_domain)?;
        push_tlv(&mut account, "01", &self.merchant_pan)?;
        push_tlv(&mut account, "02", &self.merchant_id)?;
        push_tlv(&mut account, "03", &self.merchant_criteria)?;
        let mut national = String::new();
        push_tlv(&mut national, "00", "ID.CO.QRIS.WWW")?;
        push_tlv(&mut national, "02", &self.nmid)?;
        push_tlv(&mut national, "03", &self.merchant_criteria)?;
        let mut additional = String::new();
        push_tlv(&mut additional, "05", &self.reference_label)?;
        if let Some(terminal) = &self.terminal_label {
            push_tlv(&mut additional, "07", terminal)?;
        }

        let mut out = String::with_capacity(256);
        push_tlv(&mut out, "00", "01")?;
        push_tlv(&mut out, "01", "12")?;
        push_tlv(&mut out, "26", &account)?;
        push_tlv(&mut out, "51", &national)?;
        push_tlv(&mut out, "52", &self.merchant_category_code)?;
        push_tlv(&mut out, "53", "360")?;
        push_tlv(&mut out, "54", &self.amount.to_qris())?;
        match self.tip {
            None => {}
            Some(TipIndicator::Prompt) => push_tlv(&mut out, "55", "01")?,
            Some(TipIndicator::FixedFee(fee)) => {
                push_tlv(&mut out, "55", "02")?;
                push_tlv(&mut out, "56", &fee.to_qris())?;
            }
        }
        push_tlv(&mut out, "58", "ID")?;
        push_tlv(&mut out, "59", &self.merchant_name)?;
        push_tlv(&mut out, "60", &self.merchant_city)?;
        push_tlv(&mut out, "61", &self.postal_code)?;
        push_tlv(&mut out, "62", &additional)?;
        Ok(seal(out))
    }
}

/// What a paying wallet reads from a dynamic QR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedQris {
    pub point_of_initiation: String,
    pub amount: Option<Amount>,
    pub merchant_name: String,
    pub reference_label: Option<String>,
}

/// Reads a QRIS the way a wallet does: CRC first, then the tags it needs.
pub fn scan(payload: &str) -> Result<ScannedQris, QrisError> {
    let objects = decode(payload)?;
    let find = |id: &str| objects.iter().find(|t| t.id == id).map(|t| t.value.as_str());
    let point_of_initiation = find("01").ok_or(QrisError::MissingTag("01"))?.to_string();
    find("53").ok_or(QrisError::MissingTag("53"))?;
    find("58").ok_or(QrisError::MissingTag("58"))?;
    let merchant_name = find("59").ok_or(QrisError::MissingTag("59"))?.to_string();
    let amount = match find("54") {
        Some(text) => Some(Amount::parse_qris(text).ok_or(QrisError::Malformed(0))?),
        None => None,
    };
    let reference_label = match find("62") {
        Some(additional) => parse_tlv(additional)?.into_iter().find(|t| t.id == "05").map(|t| t.value),
        None => None,
    };
    Ok(ScannedQris { point_of_initiation, amount, merchant_name, reference_label })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_check_value() {
        assert_eq!(crc16("123456789"), "29B1");
    }

    /// The synthetic example of snap.md §7, CRC-checked there.
    #[test]
    fn reference_payload_verifies() {
        let payload = "00020101021226690017ID.CO.EXAMPLE.WWW011893600000000000000102150000000000000010303UMI51440014ID.CO.QRIS.WWW0215ID10000000000010303UMI520458125303360540815000.005802ID5911TOKO CONTOH6007JAKARTA61051011062200108INV-00010704T0016304FCEC";
        let objects = decode(payload).unwrap();
        assert_eq!(objects.first().unwrap(), &Tlv { id: "00".into(), value: "01".into() });
        let scanned = scan(payload).unwrap();
        assert_eq!(scanned.amount, Some(Amount::from_sen(1_500_000)));
        assert_eq!(scanned.merchant_name, "TOKO CONTOH");
        assert_eq!(scanned.point_of_initiation, "12");
        let tampered = payload.replace("15000.00", "15001.00");
        assert!(matches!(decode(&tampered), Err(QrisError::BadCrc { .. })));
    }

    fn sample() -> DynamicQris {
        DynamicQris {
            acquirer_domain: "ID.CO.LUNAS.WWW".into(),
            merchant_pan: "9360089900000000017".into(),
            merchant_id: "IFP2024067944".into(),
            nmid: "ID1020000000017".into(),
            merchant_criteria: "UMI".into(),
            merchant_category_code: "5999".into(),
            amount: Amount::from_sen(1_500_050),
            tip: Some(TipIndicator::FixedFee(Amount::from_sen(100_000))),
            merchant_name: "TOKO CONTOH".into(),
            merchant_city: "JAKARTA".into(),
            postal_code: "10110".into(),
            reference_label: "2020102977770000000009".into(),
            terminal_label: Some("T01".into()),
        }
    }

    #[test]
    fn encode_then_scan_round_trips() {
        let payload = sample().encode().unwrap();
        assert!(payload.starts_with("000201010212"));
        assert!(payload.contains("5303360"));
        assert!(payload.contains("5802ID"));
        assert!(payload.contains("540815000.50"));
        assert!(payload.contains("55020256041000"));
        let scanned = scan(&payload).unwrap();
        assert_eq!(scanned.amount, Some(Amount::from_sen(1_500_050)));
        assert_eq!(scanned.reference_label.as_deref(), Some("2020102977770000000009"));
        assert_eq!(&payload[payload.len() - 8..payload.len() - 4], "6304");
        assert_eq!(crc16(&payload[..payload.len() - 4]), payload[payload.len() - 4..]);
    }

    #[test]
    fn malformed_payloads_are_rejected() {
        assert_eq!(decode("12"), Err(QrisError::MissingCrc));
        assert!(parse_tlv("0002").is_err());
        assert!(parse_tlv("0a0201").is_err());
        let no_name = seal("000201010212".to_string());
        assert_eq!(scan(&no_name), Err(QrisError::MissingTag("53")));
    }
}
