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
    // At most 20 digits: fits a u128 without overflow.
    let magnitude = digits
        .bytes()
        .fold(0u128, |acc, b| acc * 10 + u128::from(b.wrapping_sub(b'0')));
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
static POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

fn parse_f64(text: &str) -> Option<f64> {
    let value = match fast_decimal(text.as_bytes(), 0) {
        Some((value, end)) if end == text.len() => value,
        _ => text.parse::<f64>().ok()?,
    };
    value.is_finite().then_some(value)
}

/// Eight ASCII digits at `at` as their value (SWAR: three multiplications instead of eight steps).
#[inline(always)]
fn eight_digits(bytes: &[u8], at: usize) -> Option<u64> {
    let chunk = <[u8; 8]>::try_from(bytes.get(at..at + 8)?).ok()?;
    let v = u64::from_le_bytes(chunk);
    let high = 0xF0F0_F0F0_F0F0_F0F0;
    if (v & high) | ((v.wrapping_add(0x0606_0606_0606_0606) & high) >> 4) != 0x3333_3333_3333_3333 {
        return None;
    }
    Some(digits_value(v))
}

/// The value of eight bytes known to be ASCII digits, the first being the most significant.
#[inline(always)]
fn digits_value(v: u64) -> u64 {
    let v = v.wrapping_sub(0x3030_3030_3030_3030);
    let v = v.wrapping_mul(10).wrapping_add(v >> 8);
    let low = 0x0000_00FF_0000_00FF;
    ((v & low).wrapping_mul(100 + (1_000_000 << 32))
        + ((v >> 16) & low).wrapping_mul(1 + (10_000 << 32)))
        >> 32
}

/// How many of these 16 bytes, from the first, are ASCII digits.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn leading_digits(chunk: &[u8; 16]) -> u32 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_set1_epi8,
        _mm_sub_epi8,
    };
    // SAFETY: `chunk` is 16 readable bytes; SSE2 is part of every x86-64 processor.
    let mask = unsafe {
        let offset = _mm_sub_epi8(
            _mm_loadu_si128(chunk.as_ptr().cast()),
            _mm_set1_epi8(b'0' as i8),
        );
        let nine = _mm_set1_epi8(9);
        // byte - '0' <= 9, unsigned: the byte is a digit
        _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(offset, nine), nine))
    };
    (!(mask as u32)).trailing_zeros()
}

/// The embedding shape: `0.ddd` or `-0.ddd` with 1 to 15 digits and no exponent, read without a
/// digit loop: the digits are found 16 at a time, right-aligned, and valued eight at a time. Exact,
/// since the digits fit 2^53 and the division by 10^n (n <= 15) is correctly rounded.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub fn zero_point(bytes: &[u8], at: usize) -> Option<(f64, usize)> {
    let negative = bytes.get(at) == Some(&b'-');
    let start = at + usize::from(negative);
    if bytes.get(start..start + 2) != Some(b"0.") {
        return None;
    }
    let first = start + 2;
    let chunk = <[u8; 16]>::try_from(bytes.get(first..first + 16)?).ok()?;
    let n = leading_digits(&chunk);
    if n == 0 || n > 15 || matches!(chunk.get(n as usize), Some(b'e' | b'E')) {
        return None;
    }
    let (first_eight, rest) = chunk.split_at(8);
    let high = u64::from_le_bytes(<[u8; 8]>::try_from(first_eight).ok()?);
    let low = u64::from_le_bytes(<[u8; 8]>::try_from(rest).ok()?);
    let mantissa = if n <= 8 {
        digits_value(leading(high, n))
    } else {
        digits_value(high) * POW10_INT.get((n - 8) as usize)? + digits_value(leading(low, n - 8))
    };
    let magnitude = mantissa as i64 as f64 / *POW10.get(n as usize)?;
    Some((
        if negative { -magnitude } else { magnitude },
        first + n as usize,
    ))
}

/// The first `count` (1 to 8) digits of `word`, right-aligned behind '0' padding.
#[inline(always)]
fn leading(word: u64, count: u32) -> u64 {
    let keep = 8 * (8 - count);
    (word << keep)
        | (0x3030_3030_3030_3030_u64
            .checked_shr(8 * count)
            .unwrap_or(0))
}

static POW10_INT: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub fn zero_point(_bytes: &[u8], _at: usize) -> Option<(f64, usize)> {
    None
}

/// A plain decimal number at `at` whose digits fit 2^53 and whose power of ten is within +-22, as its
/// double and where it ends: Clinger's fast path, where one multiplication or division is correctly
/// rounded. Every float32 written in shortest form takes it. `None` for anything else (including a
/// grammar error), which the general path then reads.
#[inline(always)]
pub fn fast_decimal(bytes: &[u8], at: usize) -> Option<(f64, usize)> {
    let negative = bytes.get(at) == Some(&b'-');
    let mut i = at + usize::from(negative);
    let start = i;
    let mut mantissa: u64 = 0;
    match bytes.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while let Some(&d @ b'0'..=b'9') = bytes.get(i) {
                mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
                i += 1;
            }
        }
        _ => return None,
    }
    let mut count = i - start;
    let mut exponent: i32 = 0;
    let mut integer = true;
    if bytes.get(i) == Some(&b'.') {
        integer = false;
        i += 1;
        let first = i;
        while let Some(eight) = eight_digits(bytes, i) {
            mantissa = mantissa.wrapping_mul(100_000_000).wrapping_add(eight);
            i += 8;
        }
        while let Some(&d @ b'0'..=b'9') = bytes.get(i) {
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
            i += 1;
        }
        if i == first {
            return None;
        }
        count += i - first;
        exponent = -i32::try_from(i - first).ok()?;
    }
    if let Some(b'e' | b'E') = bytes.get(i) {
        integer = false;
        i += 1;
        let minus = bytes.get(i) == Some(&b'-');
        i += usize::from(matches!(bytes.get(i), Some(b'+' | b'-')));
        let first = i;
        let mut power: i32 = 0;
        while let Some(&d @ b'0'..=b'9') = bytes.get(i) {
            power = power.saturating_mul(10).saturating_add(i32::from(d - b'0'));
            i += 1;
        }
        if i == first {
            return None;
        }
        exponent = exponent.saturating_add(if minus { -power } else { power });
    }
    // At most 19 digits cannot have wrapped; the mantissa must be exact as a double.
    if count > 19 || mantissa > (1 << 53) || !(-22..=22).contains(&exponent) {
        return None;
    }
    let scale = *POW10.get(usize::try_from(exponent.unsigned_abs()).ok()?)?;
    let value = mantissa as f64;
    let magnitude = if exponent < 0 {
        value / scale
    } else {
        value * scale
    };
    // An integer literal is an int to orjson: "-0" is 0, whose double is +0.0.
    let negative = negative && !(integer && mantissa == 0);
    Some((if negative { -magnitude } else { magnitude }, i))
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
