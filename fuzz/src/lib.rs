//! What the fuzz targets share: one input split into fields, headers from text,
//! JSON paths for checking validation, and an in-process gateway.

pub mod gateway;
pub mod json;

use http::{HeaderMap, HeaderName, HeaderValue};

/// Splits an input into `N` fields at NUL bytes (seeds stay readable text); fields
/// past the last NUL are empty, and the last field keeps any further NULs.
pub fn fields<const N: usize>(data: &[u8]) -> [&[u8]; N] {
    let mut out = [&data[..0]; N];
    let mut rest = data;
    for (i, field) in out.iter_mut().enumerate() {
        if i + 1 == N {
            *field = rest;
            break;
        }
        match rest.iter().position(|&b| b == 0) {
            Some(at) => {
                *field = &rest[..at];
                rest = &rest[at + 1..];
            }
            None => {
                *field = rest;
                rest = &rest[rest.len()..];
            }
        }
    }
    out
}

/// `Name: value` lines as headers; a line that is no valid header is left out, as an
/// HTTP server would refuse it before any handler saw it.
pub fn headers(text: &[u8]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
        let value = line[colon + 1..].trim_ascii();
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(&line[..colon]), HeaderValue::from_bytes(value)) {
            map.append(name, value);
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_split_at_nul() {
        assert_eq!(fields::<3>(b"a\0b\0c\0d"), [&b"a"[..], b"b", b"c\0d"]);
        assert_eq!(fields::<3>(b"a"), [&b"a"[..], b"", b""]);
    }

    #[test]
    fn header_lines() {
        let map = headers(b"X-One: 1\r\nbad line\nX-Two:  two words \n: nameless");
        assert_eq!(map.len(), 2);
        assert_eq!(map["x-two"], "two words");
    }
}
