//! ISO-8601 timestamps as SNAP writes them: `2020-12-23T08:10:11+07:00`.

use std::ops::RangeInclusive;

use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, offset};
use time::{OffsetDateTime, UtcOffset};

/// Jakarta time (WIB), the offset iFortepay writes in every timestamp it produces.
pub const JAKARTA: UtcOffset = offset!(+7);

/// The instants lunas writes, in Unix milliseconds: Jakarta's clock with a year of
/// four digits, 0000-01-01T00:00:00+07:00 to 9999-12-31T23:59:59.999+07:00.
pub const WRITABLE_MS: RangeInclusive<i64> = -62_167_244_400_000..=253_402_275_599_999;

/// Parses an ISO-8601 timestamp with an explicit offset (`Z` or `±hh:mm`), with or
/// without fractional seconds. Only [`WRITABLE_MS`] instants are accepted, so that
/// [`format`] can write back any time read here.
pub fn parse(text: &str) -> Option<OffsetDateTime> {
    let at = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    let ms = i64::try_from(at.unix_timestamp_nanos().div_euclid(1_000_000)).ok()?;
    WRITABLE_MS.contains(&ms).then_some(at)
}

/// Formats an instant in Jakarta time to the second: `2020-12-23T08:10:11+07:00`
/// (25 characters, the length SNAP gives its time fields).
pub fn format(at: OffsetDateTime) -> String {
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]+07:00");
    at.to_offset(JAKARTA).format(&fmt).expect("a fixed format always applies")
}

/// Formats an instant in Jakarta time with milliseconds, as PG3 writes times.
pub fn format_millis(at: OffsetDateTime) -> String {
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+07:00");
    at.to_offset(JAKARTA).format(&fmt).expect("a fixed format always applies")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_snap_spellings() {
        let a = parse("2020-12-23T08:10:11+07:00").unwrap();
        let b = parse("2020-12-23T01:10:11Z").unwrap();
        assert_eq!(a, b);
        assert!(parse("2024-03-05T10:37:16.196Z").is_some());
        for bad in ["2020-12-23 08:10:11", "2020-12-23T08:10:11", "yesterday", ""] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }

    /// Found by fuzzing (fuzz/seeds/timestamp/jakarta-overflow): a time this side of
    /// year 10000 in UTC that is past it in Jakarta made `format` panic, and one
    /// before year 0 there formatted as a year no parser reads back.
    #[test]
    fn times_jakarta_cannot_write_are_refused() {
        assert!(parse("9999-12-31T17:59:59Z").is_none());
        assert!(parse("0000-01-01T00:00:00+08:00").is_none());
        for edge in ["9999-12-31T16:59:59.999Z", "0000-01-01T00:00:00+07:00"] {
            let at = parse(edge).unwrap();
            assert_eq!(parse(&format(at)), at.replace_nanosecond(0).ok(), "{edge}");
        }
    }

    #[test]
    fn formats_in_jakarta_time() {
        let at = parse("2020-10-20T10:56:57Z").unwrap();
        assert_eq!(format(at), "2020-10-20T17:56:57+07:00");
        assert_eq!(format(at).len(), 25);
        assert_eq!(format_millis(at), "2020-10-20T17:56:57.000+07:00");
    }
}
