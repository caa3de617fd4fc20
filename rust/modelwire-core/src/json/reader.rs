//! A pull reader over one JSON document that accepts exactly what `orjson.loads` accepts.
//!
//! The pure-Python parser reads bodies with orjson, so this reader must reject the same documents,
//! including inside values nobody reads: the whole input must be UTF-8, `\u` escapes must pair
//! surrogates, numbers that overflow a double are errors, nesting stops at 1024 containers, and only
//! whitespace may follow the document. Unread values are skipped iteratively, so depth costs no stack.

use std::borrow::Cow;

use super::number::{self, Number};

/// orjson (yyjson) refuses documents nested deeper than this many arrays and objects.
pub const MAX_DEPTH: usize = 1024;

/// Bytes that are not a JSON document: what was wrong and the byte offset where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub reason: &'static str,
    pub offset: usize,
}

pub type Syn<T> = Result<T, SyntaxError>;

/// The JSON type of the next value, from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

pub struct Reader<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
    // One bit per open container, set for objects: what a ',' or a closing bracket must match.
    objects: [u64; MAX_DEPTH / 64],
}

impl<'a> Reader<'a> {
    /// A reader over `data`, which must be UTF-8 throughout (orjson checks the whole input first).
    pub fn new(data: &'a [u8]) -> Syn<Self> {
        if data.starts_with(b"\xEF\xBB\xBF") {
            return Err(SyntaxError {
                reason: "byte order mark",
                offset: 0,
            });
        }
        let text = std::str::from_utf8(data).map_err(|e| SyntaxError {
            reason: "invalid UTF-8",
            offset: e.valid_up_to(),
        })?;
        Ok(Self::over(text))
    }

    pub fn over(text: &'a str) -> Self {
        Self {
            text,
            pos: 0,
            depth: 0,
            objects: [0; MAX_DEPTH / 64],
        }
    }

    pub fn offset(&self) -> usize {
        self.pos
    }

    pub fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// The input between two offsets (empty if they do not fall on characters).
    pub fn text_between(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or_default()
    }

    #[inline(always)]
    fn byte(&self, at: usize) -> Option<u8> {
        self.text.as_bytes().get(at).copied()
    }

    fn err<T>(&self, reason: &'static str) -> Syn<T> {
        Err(SyntaxError {
            reason,
            offset: self.pos,
        })
    }

    #[inline(always)]
    fn skip_ws(&mut self) {
        let bytes = self.text.as_bytes();
        let mut i = self.pos;
        loop {
            match bytes.get(i) {
                Some(&b) if b > b' ' => break,
                // Pretty-printed bodies put a newline and an indentation run before most tokens.
                Some(b' ' | b'\n' | b'\r' | b'\t') => i += whitespace_run(bytes, i),
                _ => break,
            }
        }
        self.pos = i;
    }

    #[inline(always)]
    fn next_byte(&mut self) -> Syn<u8> {
        self.skip_ws();
        match self.byte(self.pos) {
            Some(b) => Ok(b),
            None => self.err("unexpected end of data"),
        }
    }

    /// The type of the next value (after whitespace), without consuming it.
    #[inline(always)]
    pub fn kind(&mut self) -> Syn<Kind> {
        Ok(match self.next_byte()? {
            b'{' => Kind::Object,
            b'[' => Kind::Array,
            b'"' => Kind::String,
            b'-' | b'0'..=b'9' => Kind::Number,
            b't' | b'f' => Kind::Bool,
            b'n' => Kind::Null,
            _ => return self.err("unexpected character, expected a JSON value"),
        })
    }

    /// After the document: nothing but whitespace may remain.
    pub fn finish(&mut self) -> Syn<()> {
        self.skip_ws();
        if self.pos < self.text.len() {
            return self.err("unexpected content after the document");
        }
        Ok(())
    }

    #[inline(always)]
    fn push(&mut self, object: bool) -> Syn<()> {
        if self.depth >= MAX_DEPTH {
            return self.err("depth limit exceeded");
        }
        let (word, bit) = (self.depth / 64, self.depth % 64);
        if let Some(w) = self.objects.get_mut(word) {
            if object {
                *w |= 1 << bit;
            } else {
                *w &= !(1 << bit);
            }
        }
        self.depth += 1;
        self.pos += 1;
        Ok(())
    }

    #[inline(always)]
    fn in_object(&self) -> bool {
        let top = self.depth.saturating_sub(1);
        self.objects
            .get(top / 64)
            .is_some_and(|w| w & (1 << (top % 64)) != 0)
    }

    /// Reads `{`; true when a member follows (false: the object was empty and is closed).
    #[inline(always)]
    pub fn begin_object(&mut self) -> Syn<bool> {
        if self.next_byte()? != b'{' {
            return self.err("expected an object");
        }
        self.push(true)?;
        self.after_open(b'}')
    }

    /// Reads `[`; true when an element follows (false: the array was empty and is closed).
    #[inline(always)]
    pub fn begin_array(&mut self) -> Syn<bool> {
        if self.next_byte()? != b'[' {
            return self.err("expected an array");
        }
        self.push(false)?;
        self.after_open(b']')
    }

    #[inline(always)]
    fn after_open(&mut self, close: u8) -> Syn<bool> {
        if self.next_byte()? == close {
            self.pos += 1;
            self.depth -= 1;
            return Ok(false);
        }
        Ok(true)
    }

    /// A member's key and the `:` after it.
    #[inline(always)]
    pub fn key(&mut self) -> Syn<Cow<'a, str>> {
        if self.next_byte()? != b'"' {
            return self.err("expected a string key");
        }
        let key = self.string_at_quote()?;
        self.colon()?;
        Ok(key)
    }

    #[inline(always)]
    fn colon(&mut self) -> Syn<()> {
        // Compact and pretty-printed JSON alike put the colon right after the key.
        if self.byte(self.pos) != Some(b':') && self.next_byte()? != b':' {
            return self.err("expected ':' after a key");
        }
        self.pos += 1;
        Ok(())
    }

    /// After a member or element: true when another follows, false when the container closed.
    #[inline(always)]
    pub fn more(&mut self) -> Syn<bool> {
        let next = match self.byte(self.pos) {
            Some(b @ (b',' | b'}' | b']')) => b,
            _ => self.next_byte()?,
        };
        match next {
            b',' => {
                self.pos += 1;
                // orjson rejects a trailing comma: a value (or key) must follow.
                match self.next_byte()? {
                    b'}' | b']' => self.err("trailing comma is not allowed"),
                    _ => Ok(true),
                }
            }
            b'}' if self.in_object() => self.close(),
            b']' if !self.in_object() => self.close(),
            _ if self.in_object() => self.err("expected ',' or '}'"),
            _ => self.err("expected ',' or ']'"),
        }
    }

    #[inline(always)]
    fn close(&mut self) -> Syn<bool> {
        self.pos += 1;
        self.depth -= 1;
        Ok(false)
    }

    /// Calls `member` with each key of the object that comes next; it must consume the value.
    pub fn object<E, F>(&mut self, mut member: F) -> Result<(), E>
    where
        E: From<SyntaxError>,
        F: FnMut(&mut Self, Cow<'a, str>) -> Result<(), E>,
    {
        if self.begin_object()? {
            loop {
                let key = self.key()?;
                member(self, key)?;
                if !self.more()? {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Calls `element` with the position of each element of the array that comes next.
    pub fn array<E, F>(&mut self, mut element: F) -> Result<(), E>
    where
        E: From<SyntaxError>,
        F: FnMut(&mut Self, usize) -> Result<(), E>,
    {
        if self.begin_array()? {
            let mut index = 0;
            loop {
                element(self, index)?;
                index += 1;
                if !self.more()? {
                    break;
                }
            }
        }
        Ok(())
    }

    /// `null` if it comes next (consumed: true), or nothing consumed (false).
    #[inline(always)]
    pub fn null(&mut self) -> Syn<bool> {
        if self.next_byte()? == b'n' {
            self.literal(b"null")?;
            return Ok(true);
        }
        Ok(false)
    }

    pub fn boolean(&mut self) -> Syn<bool> {
        if self.next_byte()? == b't' {
            self.literal(b"true")?;
            Ok(true)
        } else {
            self.literal(b"false")?;
            Ok(false)
        }
    }

    #[inline(always)]
    fn literal(&mut self, word: &'static [u8]) -> Syn<()> {
        let end = self.pos + word.len();
        if self.text.as_bytes().get(self.pos..end) != Some(word) {
            return self.err("invalid literal");
        }
        self.pos = end;
        Ok(())
    }

    /// The string that comes next, borrowed from the input unless it holds escapes.
    #[inline(always)]
    pub fn string(&mut self) -> Syn<Cow<'a, str>> {
        if self.next_byte()? != b'"' {
            return self.err("expected a string");
        }
        self.string_at_quote()
    }

    #[inline(always)]
    fn string_at_quote(&mut self) -> Syn<Cow<'a, str>> {
        let start = self.pos + 1;
        let end = plain_run(self.text.as_bytes(), start);
        if self.byte(end) == Some(b'"') {
            self.pos = end + 1;
            // Both ends sit next to an ASCII quote, so they fall on character boundaries.
            if let Some(s) = self.text.get(start..end) {
                return Ok(Cow::Borrowed(s));
            }
        }
        self.string_slow(start, end)
    }

    #[cold]
    fn string_slow(&mut self, start: usize, end: usize) -> Syn<Cow<'a, str>> {
        self.pos = end;
        match self.byte(end) {
            Some(b'\\') => {
                let mut owned = String::with_capacity(2 * (end - start) + 64);
                owned.push_str(self.text.get(start..end).unwrap_or_default());
                self.escaped(&mut owned)?;
                Ok(Cow::Owned(owned))
            }
            Some(b'"') => self.err("invalid UTF-8"),
            Some(_) => self.err("unexpected control character in string"),
            None => self.err("unexpected end of data in string"),
        }
    }

    /// Decodes the rest of a string from a backslash at `self.pos` into `out`, consuming the quote.
    fn escaped(&mut self, out: &mut String) -> Syn<()> {
        let bytes = self.text.as_bytes();
        loop {
            let run = self.pos;
            self.pos = plain_run(bytes, self.pos);
            out.push_str(self.text.get(run..self.pos).unwrap_or_default());
            match bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => out.push(self.escape()?),
                Some(_) => return self.err("unexpected control character in string"),
                None => return self.err("unexpected end of data in string"),
            }
        }
    }

    /// One escape sequence at `self.pos` (the backslash); a surrogate pair counts as one.
    fn escape(&mut self) -> Syn<char> {
        let simple = match self.byte(self.pos + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => return self.unicode_escape(),
            _ => return self.err("invalid escaped sequence in string"),
        };
        self.pos += 2;
        Ok(simple)
    }

    fn hex4(&self, at: usize) -> Syn<u32> {
        let digits = self.text.get(at..at + 4).ok_or(SyntaxError {
            reason: "invalid escaped sequence in string",
            offset: self.pos,
        })?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return self.err("invalid escaped sequence in string");
        }
        u32::from_str_radix(digits, 16).map_err(|_| SyntaxError {
            reason: "invalid escaped sequence in string",
            offset: self.pos,
        })
    }

    fn unicode_escape(&mut self) -> Syn<char> {
        let first = self.hex4(self.pos + 2)?;
        let code = match first {
            0xD800..=0xDBFF => {
                let bytes = self.text.as_bytes();
                if bytes.get(self.pos + 6) != Some(&b'\\') || bytes.get(self.pos + 7) != Some(&b'u')
                {
                    return self.err("no low surrogate in string");
                }
                let second = self.hex4(self.pos + 8)?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return self.err("invalid low surrogate in string");
                }
                self.pos += 6;
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return self.err("invalid high surrogate in string"),
            _ => first,
        };
        self.pos += 6;
        char::from_u32(code).ok_or(SyntaxError {
            reason: "invalid escaped sequence in string",
            offset: self.pos,
        })
    }

    /// Skips the string that comes next, checking its escapes.
    fn skip_string(&mut self) -> Syn<()> {
        self.pos += 1;
        let bytes = self.text.as_bytes();
        loop {
            self.pos = plain_run(bytes, self.pos);
            match bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.escape()?;
                }
                Some(&b) if b < 0x20 => return self.err("unexpected control character in string"),
                Some(_) => self.pos += 1,
                None => return self.err("unexpected end of data in string"),
            }
        }
    }

    /// The source text of the number that comes next, checked against the JSON grammar.
    #[inline(always)]
    pub fn number_text(&mut self) -> Syn<(&'a str, bool)> {
        self.skip_ws();
        let start = self.pos;
        let (end, integer) = number::scan(self.text.as_bytes(), start)
            .map_err(|(reason, offset)| SyntaxError { reason, offset })?;
        self.pos = end;
        let text = self.text.get(start..end).unwrap_or_default();
        Ok((text, integer))
    }

    /// The number that comes next, typed as orjson types it.
    #[inline(always)]
    pub fn number(&mut self) -> Syn<Number> {
        let start = self.pos;
        let (text, integer) = self.number_text()?;
        number::classify(text, integer).ok_or(SyntaxError {
            reason: "number is infinity when parsed as double",
            offset: start,
        })
    }

    /// The number that comes next as a double (integers converted like Python's `float(int)`).
    pub fn float(&mut self) -> Syn<f64> {
        let start = self.pos;
        let (text, integer) = self.number_text()?;
        number::to_f64(text, integer).ok_or(SyntaxError {
            reason: "number is infinity when parsed as double",
            offset: start,
        })
    }

    /// The next number as a double if `number::fast_decimal` can read it (nothing consumed if not).
    #[inline(always)]
    pub fn fast_float(&mut self) -> Option<f64> {
        self.skip_ws();
        let (value, end) = number::fast_decimal(self.text.as_bytes(), self.pos)?;
        self.pos = end;
        Some(value)
    }

    /// Inside an array, at an element: reads the elements that are plain numbers whose float32 is
    /// finite into `out`, up to the end of the array (`true`, the array closed) or up to an element
    /// that needs the general path (`false`, the reader left at that element).
    pub fn float32_run(&mut self, out: &mut Vec<f32>) -> Syn<bool> {
        let bytes = self.text.as_bytes();
        loop {
            self.skip_ws();
            let read = number::zero_point(bytes, self.pos)
                .or_else(|| number::fast_decimal(bytes, self.pos));
            let Some((value, end)) = read else {
                return Ok(false);
            };
            let single = value as f32;
            if single.is_infinite() {
                return Ok(false);
            }
            out.push(single);
            self.pos = end;
            match self.byte(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => return self.close().map(|_| true),
                _ => {
                    if !self.more()? {
                        return Ok(true);
                    }
                }
            }
        }
    }

    /// Skips one value of any type, checking it exactly as if it were read.
    pub fn skip(&mut self) -> Syn<()> {
        let base = self.depth;
        loop {
            // A value is expected here.
            match self.kind()? {
                Kind::Object => {
                    if self.begin_object()? {
                        self.skip_key()?;
                        continue;
                    }
                }
                Kind::Array => {
                    if self.begin_array()? {
                        continue;
                    }
                }
                Kind::String => self.skip_string()?,
                Kind::Number => self.skip_number()?,
                Kind::Bool => {
                    self.boolean()?;
                }
                Kind::Null => self.literal(b"null")?,
            }
            // After a value: close containers until another value is due, or the skipped one ended.
            loop {
                if self.depth == base {
                    return Ok(());
                }
                if self.more()? {
                    if self.in_object() {
                        self.skip_key()?;
                    }
                    break;
                }
            }
        }
    }

    fn skip_key(&mut self) -> Syn<()> {
        if self.next_byte()? != b'"' {
            return self.err("expected a string key");
        }
        self.skip_string()?;
        self.colon()
    }

    /// A number only needs its value checked when it could overflow a double: one with an exponent,
    /// or with more than 308 digits before its point (the largest double is 1.8e308). Skipped floats
    /// (logprobs, scores) are so left unconverted, as skipped integers are.
    fn skip_number(&mut self) -> Syn<()> {
        let start = self.pos;
        let (text, integer) = self.number_text()?;
        if text.len() <= 300 && !text.bytes().any(|b| b == b'e' || b == b'E') {
            return Ok(());
        }
        match number::classify(text, integer) {
            Some(_) => Ok(()),
            None => Err(SyntaxError {
                reason: "number is infinity when parsed as double",
                offset: start,
            }),
        }
    }

    /// Skips the value that comes next and returns its byte range in the input.
    pub fn span(&mut self) -> Syn<(usize, usize)> {
        self.skip_ws();
        let start = self.pos;
        self.skip()?;
        Ok((start, self.pos))
    }
}

/// The end of the run of plain string bytes from `at`: the first `"`, `\\` or control character (or
/// the end of input). Strings are most of a response body, so this looks at 16 bytes at a time.
#[inline(always)]
fn plain_run(bytes: &[u8], at: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    let at = match plain_run_sse2(bytes, at) {
        Ok(found) => return found,
        Err(tail) => tail,
    };
    plain_run_swar(bytes, at)
}

/// SSE2 is part of every x86-64 processor, so no runtime detection is needed.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn plain_run_sse2(bytes: &[u8], mut at: usize) -> Result<usize, usize> {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    while let Some(chunk) = bytes.get(at..at + 16) {
        // SAFETY: `chunk` holds 16 readable bytes; the intrinsics only need SSE2, which x86-64 has.
        let mask = unsafe {
            let block = _mm_loadu_si128(chunk.as_ptr().cast());
            let quote = _mm_cmpeq_epi8(block, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(block, _mm_set1_epi8(b'\\' as i8));
            // byte <= 0x1f (unsigned): max(byte, 0x1f) == 0x1f
            let limit = _mm_set1_epi8(0x1f);
            let control = _mm_cmpeq_epi8(_mm_max_epu8(block, limit), limit);
            _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control))
        };
        if mask != 0 {
            return Ok(at + mask.trailing_zeros() as usize);
        }
        at += 16;
    }
    // Fewer than 16 bytes left: the caller finishes the scan.
    Err(at)
}

#[inline]
fn plain_run_swar(bytes: &[u8], mut at: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = bytes
        .get(at..at + 8)
        .and_then(|c| <[u8; 8]>::try_from(c).ok())
    {
        let word = u64::from_le_bytes(chunk);
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        // A byte is flagged when it is zero after the xor (or below 0x20 before it), and not >= 0x80;
        // borrows can only flag bytes above a true hit, so the lowest flag is exact.
        let special = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (word.wrapping_sub(ONES * 0x20) & !word);
        let special = special & HIGHS;
        if special != 0 {
            return at + (special.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while let Some(&b) = bytes.get(at) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        at += 1;
    }
    at
}

/// How many whitespace bytes start at `at` (at least one is known to be there), up to 16.
#[inline(always)]
fn whitespace_run(bytes: &[u8], at: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    if let Some(chunk) = bytes.get(at..at + 16) {
        use std::arch::x86_64::{
            _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
        };
        // SAFETY: `chunk` holds 16 readable bytes; the intrinsics only need SSE2, which x86-64 has.
        let mask = unsafe {
            let block = _mm_loadu_si128(chunk.as_ptr().cast());
            let space = _mm_cmpeq_epi8(block, _mm_set1_epi8(b' ' as i8));
            let newline = _mm_cmpeq_epi8(block, _mm_set1_epi8(b'\n' as i8));
            let other = _mm_or_si128(
                _mm_cmpeq_epi8(block, _mm_set1_epi8(b'\r' as i8)),
                _mm_cmpeq_epi8(block, _mm_set1_epi8(b'\t' as i8)),
            );
            _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(space, newline), other))
        };
        return (!(mask as u32)).trailing_zeros() as usize;
    }
    let _ = bytes;
    1
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Reads every member's value as a string (`read`) or skips it, to the end of the document.
    fn accepts(doc: &[u8], read: bool) -> bool {
        let Ok(mut r) = Reader::new(doc) else {
            return false;
        };
        let members = r.object(|r, _| {
            if read && r.kind()? == Kind::String {
                r.string().map(|_| ())
            } else {
                r.skip()
            }
        });
        members.and_then(|()| r.finish()).is_ok()
    }

    #[test]
    fn utf8_is_checked_in_every_string_read_or_skipped() {
        let pieces: [&[u8]; 12] = [
            b"\xc3\xa9",
            b"\xe2\x80\xa8",
            b"\xf0\x9f\x98\x80",
            b"\xff",
            b"\xc3",
            b"\xed\xa0\x80",
            b"\xc0\xaf",
            b"\xf4\x90\x80\x80",
            b"\xe2\x80",
            b"\x80",
            b"\xf0\x9f\x98",
            b"\xef\xbf\xbf",
        ];
        for piece in pieces {
            let valid = std::str::from_utf8(piece).is_ok();
            // Short and long strings (the 16-byte scan, the 8-byte scan and the byte loop), around
            // an escape, in a key.
            for (before, after) in [
                ("", ""),
                ("abcdefghijklmnopq", "r"),
                ("abc", "\\n"),
                ("\\t", ""),
            ] {
                let mut value = before.as_bytes().to_vec();
                value.extend_from_slice(piece);
                value.extend_from_slice(after.as_bytes());
                let mut doc = b"{\"k\": \"".to_vec();
                doc.extend_from_slice(&value);
                doc.extend_from_slice(b"\", \"x\": 1}");
                assert_eq!(accepts(&doc, true), valid, "{doc:?}");
                assert_eq!(accepts(&doc, false), valid, "{doc:?}");
                let mut keyed = b"{\"".to_vec();
                keyed.extend_from_slice(&value);
                keyed.extend_from_slice(b"\": 1}");
                assert_eq!(accepts(&keyed, false), valid, "{keyed:?}");
            }
            // Outside strings, nothing but ASCII is JSON.
            let mut outside = b"{\"k\": 1".to_vec();
            outside.extend_from_slice(piece);
            outside.push(b'}');
            assert!(!accepts(&outside, false));
        }
    }
}
