//! Money. Inside lunas every amount is an [`Amount`]: rupiah counted in sen (1/100
//! rupiah), so no code multiplies or divides by 100 outside this module. The spellings
//! are edge concerns: SNAP writes `"10000.00"`, PG3 whole rupiah as a number, QRIS
//! plain digits when it can.

use serde::{Deserialize, Serialize};

/// The only currency iFortepay's SNAP and PG3 APIs accept.
pub const IDR: &str = "IDR";

/// Largest SNAP amount: 16 digits in all, two of them decimals ("16,2").
const MAX_SNAP_INTEGER_DIGITS: usize = 14;

const SEN_PER_RUPIAH: i64 = 100;

/// An amount of IDR in sen. Stored and serialised as the bare number of sen.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Amount(i64);

impl Amount {
    pub const ZERO: Amount = Amount(0);

    pub const fn from_sen(sen: i64) -> Self {
        Self(sen)
    }

    /// `None` when the rupiah do not fit.
    pub fn from_rupiah(rupiah: i64) -> Option<Self> {
        rupiah.checked_mul(SEN_PER_RUPIAH).map(Self)
    }

    pub const fn sen(self) -> i64 {
        self.0
    }

    /// Whole rupiah, dropping any sen (PG3 amounts are whole rupiah by validation).
    pub const fn rupiah(self) -> i64 {
        self.0 / SEN_PER_RUPIAH
    }

    pub const fn is_whole_rupiah(self) -> bool {
        self.0 % SEN_PER_RUPIAH == 0
    }

    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Self)
    }

    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).map(Self)
    }

    /// Parses a SNAP amount such as `"10000.00"`: exactly two decimals, no sign, no
    /// exponent, no spaces, no leading zeros; anything else is `None`.
    pub fn parse_snap(text: &str) -> Option<Self> {
        let (units, cents) = text.split_once('.')?;
        let digits_only = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits_only(units) || units.len() > MAX_SNAP_INTEGER_DIGITS || cents.len() != 2 || !digits_only(cents) {
            return None;
        }
        if units.len() > 1 && units.starts_with('0') {
            return None;
        }
        let units: i64 = units.parse().ok()?;
        let cents: i64 = cents.parse().ok()?;
        Self::from_rupiah(units)?.checked_add(Self(cents))
    }

    /// Parses rupiah as a sandbox or PG3 client writes them: `"15000"` or `"15000.00"`.
    pub fn parse_rupiah(text: &str) -> Option<Self> {
        Self::parse_snap(text).or_else(|| {
            let digits =
                text.bytes().all(|b| b.is_ascii_digit()) && (1..=MAX_SNAP_INTEGER_DIGITS).contains(&text.len());
            digits.then(|| text.parse::<i64>().ok()).flatten().and_then(Self::from_rupiah)
        })
    }

    /// QRIS tag 54: whole rupiah as plain digits, otherwise two decimals.
    pub fn to_qris(self) -> String {
        if self.is_whole_rupiah() { self.rupiah().to_string() } else { self.to_string() }
    }

    /// Parses a QRIS tag 54 amount (`15000`, `15000.5` or `15000.00`).
    pub fn parse_qris(text: &str) -> Option<Self> {
        let (units, cents) = text.split_once('.').unwrap_or((text, ""));
        if units.is_empty() || cents.len() > 2 || !units.bytes().chain(cents.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let cents = format!("{cents:0<2}");
        Self::from_rupiah(units.parse().ok()?)?.checked_add(Self(cents.parse().ok()?))
    }
}

/// The SNAP spelling: `1000000` sen is `"10000.00"`.
impl std::fmt::Display for Amount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / SEN_PER_RUPIAH as u64, abs % SEN_PER_RUPIAH as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sen(value: i64) -> Option<Amount> {
        Some(Amount::from_sen(value))
    }

    #[test]
    fn parses_two_decimal_amounts() {
        assert_eq!(Amount::parse_snap("10000.00"), sen(1_000_000));
        assert_eq!(Amount::parse_snap("0.01"), sen(1));
        assert_eq!(Amount::parse_snap("12345678901234.99"), sen(1_234_567_890_123_499));
    }

    #[test]
    fn rejects_every_other_spelling() {
        for bad in [
            "",
            "10000",
            "10000.0",
            "10000.000",
            "-1.00",
            "+1.00",
            "1e3.00",
            " 1.00",
            "1.00 ",
            "1,000.00",
            ".50",
            "01.00",
            "123456789012345.00",
            "1.0a",
        ] {
            assert_eq!(Amount::parse_snap(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn formats_round_trip() {
        for value in [0, 1, 99, 100, 1_000_000, 1_234_567_890_123_499] {
            assert_eq!(Amount::parse_snap(&Amount::from_sen(value).to_string()), sen(value));
        }
        assert_eq!(Amount::from_sen(1_500_050).to_string(), "15000.50");
        assert_eq!(Amount::from_sen(-5).to_string(), "-0.05");
    }

    #[test]
    fn rupiah_and_qris_spellings() {
        assert_eq!(Amount::parse_rupiah("15000"), sen(1_500_000));
        assert_eq!(Amount::parse_rupiah("15000.50"), sen(1_500_050));
        assert_eq!(Amount::parse_rupiah("15,000"), None);
        assert_eq!(Amount::parse_rupiah(&"9".repeat(15)), None);
        assert_eq!(Amount::from_rupiah(i64::MAX), None);
        assert_eq!(Amount::from_sen(1_500_000).to_qris(), "15000");
        assert_eq!(Amount::from_sen(1_500_050).to_qris(), "15000.50");
        assert_eq!(Amount::parse_qris("15000.5"), sen(1_500_050));
        assert_eq!(Amount::parse_qris("15000"), sen(1_500_000));
        assert_eq!(Amount::parse_qris("1.234"), None);
        assert_eq!(Amount::from_sen(1_500_050).rupiah(), 15_000);
        assert!(!Amount::from_sen(1_500_050).is_whole_rupiah());
    }
}
