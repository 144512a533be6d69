//! Money spellings at the protocol edge. Inside lunas an amount is an `i64` of sen
//! (minor units of IDR); SNAP writes it as a string with exactly two decimals.

/// The only currency iFortepay's SNAP and PG3 APIs accept.
pub const IDR: &str = "IDR";

/// Largest SNAP amount: 16 digits in all, two of them decimals ("16,2").
const MAX_SNAP_INTEGER_DIGITS: usize = 14;

/// Parses a SNAP amount such as `"10000.00"` into sen. Exactly two decimals, no sign,
/// no exponent, no spaces; anything else is `None`.
pub fn parse_snap_amount(text: &str) -> Option<i64> {
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
    units.checked_mul(100)?.checked_add(cents)
}

/// Writes sen as a SNAP amount: `1000000` becomes `"10000.00"`.
pub fn format_snap_amount(sen: i64) -> String {
    format!("{}.{:02}", sen / 100, sen % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_two_decimal_amounts() {
        assert_eq!(parse_snap_amount("10000.00"), Some(1_000_000));
        assert_eq!(parse_snap_amount("0.01"), Some(1));
        assert_eq!(parse_snap_amount("12345678901234.99"), Some(1_234_567_890_123_499));
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
            assert_eq!(parse_snap_amount(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn formats_round_trip() {
        for sen in [0, 1, 99, 100, 1_000_000, 1_234_567_890_123_499] {
            assert_eq!(parse_snap_amount(&format_snap_amount(sen)), Some(sen));
        }
        assert_eq!(format_snap_amount(1_500_050), "15000.50");
    }
}
