//! JSON numbers as orjson reads them: integers in [-2^63, 2^64 - 1] stay integers, every other number
//! is the correctly rounded double of its decimal text, and a double that overflows is an error.

/// A JSON number, typed as `orjson.loads` would give it to Python.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// Always within [-2^63, 2^64 - 1].
    Int(i128),
    Float(f64),
}

const MAX_NEGATIVE: u128 = 1 << 63;

/// Checks the number grammar from `start`; returns where it ends and whether it is an integer literal.
pub fn scan(bytes: &[u8], start: usize) -> Result<(usize, bool), (&'static str, usize)> {
    let mut i = start;
    let at = |i: usize| bytes.get(i).copied();
    if at(i) == Some(b'-') {
        i += 1;
    }
    match at(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while let Some(b'0'..=b'9') = at(i) {
                i += 1;
            }
        }
        Some(_) => return Err(("invalid number", i)),
        None => return Err(("unexpected end of data", i)),
    }
    let mut integer = true;
    if at(i) == Some(b'.') {
        integer = false;
        i += 1;
        let digits = i;
        while let Some(b'0'..=b'9') = at(i) {
            i += 1;
        }
        if i == digits {
            return Err(("no digit after decimal point", i));
        }
    }
    if let Some(b'e' | b'E') = at(i) {
        integer = false;
        i += 1;
        if let Some(b'+' | b'-') = at(i) {
            i += 1;
        }
        let digits = i;
        while let Some(b'0'..=b'9') = at(i) {
            i += 1;
        }
        if i == digits {
            return Err(("no digit in exponent", i));
        }
    }
    Ok((i, integer))
}

/// An integer literal's value when it is within orjson's integer range.
fn integer_value(text: &str) -> Option<i128> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.len() > 20 {
        return None;
    }
    let magnitude: u128 = digits.parse().ok()?;
    if negative {
        (magnitude <= MAX_NEGATIVE).then(|| -(magnitude as i128))
    } else {
        (magnitude <= u128::from(u64::MAX)).then_some(magnitude as i128)
    }
}

/// The number `text` stands for (`integer`: it has no fraction or exponent); `None` if it overflows.
pub fn classify(text: &str, integer: bool) -> Option<Number> {
    if integer {
        if let Some(value) = integer_value(text) {
            return Some(Number::Int(value));
        }
    }
    parse_f64(text).map(Number::Float)
}

/// The double of `text` (integers rounded like Python's `float(int)`); `None` if it overflows.
pub fn to_f64(text: &str, integer: bool) -> Option<f64> {
    if integer {
        if let Some(value) = integer_value(text) {
            return Some(value as f64);
        }
    }
    parse_f64(text)
}

// Exact powers of ten a double holds: up to 10^22.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

fn parse_f64(text: &str) -> Option<f64> {
    let value = fast_f64(text).or_else(|| text.parse::<f64>().ok())?;
    value.is_finite().then_some(value)
}

/// Clinger's fast path: a mantissa below 2^53 and a power of ten up to 10^22 are both exact, so one
/// multiplication or division is correctly rounded. Embedding values (about 9 digits) all take it.
fn fast_f64(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let (negative, mut i) = if bytes.first() == Some(&b'-') {
        (true, 1)
    } else {
        (false, 0)
    };
    let mut mantissa: u64 = 0;
    let mut digits = 0u32;
    let mut exponent: i32 = 0;
    let mut seen_point = false;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'0'..=b'9' => {
                if mantissa == 0 && b == b'0' {
                    // Leading zeros carry no precision.
                } else {
                    digits += 1;
                    if digits > 15 {
                        return None;
                    }
                    mantissa = mantissa * 10 + u64::from(b - b'0');
                }
                if seen_point {
                    exponent -= 1;
                }
            }
            b'.' => seen_point = true,
            b'e' | b'E' => {
                let e: i32 = text.get(i + 1..)?.parse().ok()?;
                exponent = exponent.checked_add(e)?;
                break;
            }
            _ => return None,
        }
        i += 1;
    }
    let value = mantissa as f64;
    let magnitude = if mantissa == 0 {
        0.0
    } else if exponent >= 0 {
        value * *POW10.get(usize::try_from(exponent).ok()?)?
    } else {
        value / *POW10.get(usize::try_from(-exponent).ok()?)?
    };
    Some(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::float_cmp)]
mod tests {
    use super::*;

    fn read(text: &str) -> Option<Number> {
        let (end, integer) = scan(text.as_bytes(), 0).ok()?;
        assert_eq!(end, text.len());
        classify(text, integer)
    }

    #[test]
    fn integers_keep_orjsons_range() {
        assert_eq!(
            read("18446744073709551615"),
            Some(Number::Int(u64::MAX.into()))
        );
        assert_eq!(
            read("18446744073709551616"),
            Some(Number::Float(1.8446744073709552e19))
        );
        assert_eq!(read("-9223372036854775808"), Some(Number::Int(-(1 << 63))));
        assert_eq!(
            read("-9223372036854775809"),
            Some(Number::Float(-9.223372036854776e18))
        );
        assert_eq!(read("-0"), Some(Number::Int(0)));
        assert_eq!(read(&format!("1{}", "0".repeat(400))), None);
    }

    #[test]
    fn floats_are_correctly_rounded_and_overflow_is_none() {
        for text in [
            "0.1",
            "-0.0069292835",
            "1e22",
            "1.7976931348623157e308",
            "5e-324",
            "0.30000000000000004",
            "123456789012345678",
            "9007199254740993.0",
            "1e-400",
            "2.2250738585072011e-308",
        ] {
            assert_eq!(to_f64(text, false), text.parse::<f64>().ok(), "{text}");
        }
        assert_eq!(to_f64("1e400", false), None);
        assert_eq!(to_f64("-0.0", false).map(f64::is_sign_negative), Some(true));
    }

    #[test]
    fn grammar() {
        for bad in ["-", "01x", "1.", ".5", "1e", "1e+", "+1", "-a"] {
            let r = scan(bad.as_bytes(), 0);
            assert!(r.is_err() || r.unwrap().0 < bad.len(), "{bad}");
        }
    }
}
