//! ISO-8601 timestamps as SNAP writes them: `2020-12-23T08:10:11+07:00`.

use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, offset};
use time::{OffsetDateTime, UtcOffset};

/// Jakarta time (WIB), the offset iFortepay writes in every timestamp it produces.
pub const JAKARTA: UtcOffset = offset!(+7);

/// Parses an ISO-8601 timestamp with an explicit offset (`Z` or `±hh:mm`), with or
/// without fractional seconds.
pub fn parse(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
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

    #[test]
    fn formats_in_jakarta_time() {
        let at = parse("2020-10-20T10:56:57Z").unwrap();
        assert_eq!(format(at), "2020-10-20T17:56:57+07:00");
        assert_eq!(format(at).len(), 25);
        assert_eq!(format_millis(at), "2020-10-20T17:56:57.000+07:00");
    }
}
