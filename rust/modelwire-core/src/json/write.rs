//! JSON output byte-identical to `orjson.dumps` for strings and numbers.

use std::fmt::Write as _;

/// Appends `s` as a JSON string the way orjson writes it: only `"`, `\` and control characters are
/// escaped (`\b \f \n \r \t`, else `\u00XX`); everything else, DEL and U+2028 included, is raw UTF-8.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(bytes.get(run..i).unwrap_or_default());
        if escape.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'));
            out.push(HEX.get(usize::from(b & 0xf)).copied().unwrap_or(b'0'));
        } else {
            out.extend_from_slice(escape);
        }
        run = i + 1;
    }
    out.extend_from_slice(bytes.get(run..).unwrap_or_default());
    out.push(b'"');
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `value` as orjson writes a float: the shortest round-trip digits (ties to even, as Ryu and
/// Python's `repr` choose them; Rust's own formatter rounds those ties up), in plain notation when the
/// decimal exponent is in [-5, 15] (`100.0`, `0.00001`), else as `1.5e+16` / `1e-7`; NaN and
/// infinities become `null`.
pub fn write_f64(out: &mut Vec<u8>, value: f64) {
    if !value.is_finite() {
        out.extend_from_slice(b"null");
        return;
    }
    let mut buffer = ryu::Buffer::new();
    let (digits, exponent) = digits_and_exponent(buffer.format_finite(value));
    if value.is_sign_negative() {
        out.push(b'-');
    }
    if (-5..=15).contains(&exponent) {
        write_plain(out, &digits, exponent);
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.extend_from_slice(first.as_bytes());
        if !rest.is_empty() {
            out.push(b'.');
            out.extend_from_slice(rest.as_bytes());
        }
        out.push(b'e');
        if exponent > 0 {
            out.push(b'+');
        }
        out.extend_from_slice(exponent.to_string().as_bytes());
    }
}

/// The significant digits of a formatted float and its exponent `e` (value = d.ddd x 10^e).
fn digits_and_exponent(text: &str) -> (String, i32) {
    let text = text.trim_start_matches('-');
    let (mantissa, power) = text.split_once(['e', 'E']).unwrap_or((text, "0"));
    let power: i32 = power.parse().unwrap_or(0);
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{whole}{fraction}");
    let leading = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_start_matches('0').trim_end_matches('0');
    if digits.is_empty() {
        return ("0".into(), 0);
    }
    let exponent =
        i32::try_from(whole.len()).unwrap_or(0) - 1 + power - i32::try_from(leading).unwrap_or(0);
    (digits.to_owned(), exponent)
}

fn write_plain(out: &mut Vec<u8>, digits: &str, exponent: i32) {
    if exponent < 0 {
        // 0.000ddd: the point comes before the first digit.
        out.extend_from_slice(b"0.");
        for _ in 0..(-exponent - 1) {
            out.push(b'0');
        }
        out.extend_from_slice(digits.as_bytes());
        return;
    }
    let point = usize::try_from(exponent).unwrap_or(0) + 1;
    if digits.len() <= point {
        out.extend_from_slice(digits.as_bytes());
        out.resize(out.len() + (point - digits.len()), b'0');
        out.extend_from_slice(b".0");
    } else {
        let (whole, fraction) = digits.split_at(point);
        out.extend_from_slice(whole.as_bytes());
        out.push(b'.');
        out.extend_from_slice(fraction.as_bytes());
    }
}

/// Appends an integer as orjson writes it.
pub fn write_int(out: &mut Vec<u8>, value: i128) {
    let _ = write!(IntoString(out), "{value}");
}

struct IntoString<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for IntoString<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(value: f64) -> String {
        let mut out = Vec::new();
        write_f64(&mut out, value);
        String::from_utf8(out).unwrap_or_default()
    }

    #[test]
    fn floats_match_orjson() {
        let cases = [
            (1e16, "1e+16"),
            (100.0, "100.0"),
            (1e-7, "1e-7"),
            (0.1, "0.1"),
            (1.5e300, "1.5e+300"),
            (-0.0, "-0.0"),
            (123456789.123, "123456789.123"),
            (1e22, "1e+22"),
            (1e-5, "0.00001"),
            (0.0001, "0.0001"),
            (5e-324, "5e-324"),
            (1e15, "1000000000000000.0"),
            (0.0, "0.0"),
            (1.5e-5, "0.000015"),
            (9.99e-6, "9.99e-6"),
            (f64::NAN, "null"),
            (-f64::INFINITY, "null"),
        ];
        for (value, text) in cases {
            assert_eq!(float(value), text, "{value:e}");
        }
    }

    #[test]
    fn strings_escape_like_orjson() {
        let mut out = Vec::new();
        write_str(&mut out, "\u{8}\u{c}\n\r\t\u{0}\u{1f}\u{7f}/\"\\é\u{2028}");
        assert_eq!(
            out,
            b"\"\\b\\f\\n\\r\\t\\u0000\\u001f\x7f/\\\"\\\\\xc3\xa9\xe2\x80\xa8\""
        );
    }
}
