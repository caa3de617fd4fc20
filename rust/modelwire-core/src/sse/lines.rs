//! Bytes that arrive in pieces of any size, out as complete lines of checked UTF-8.
//!
//! Each byte is examined once when it arrives and copied at most once (into `partial`, while its line
//! is incomplete), so a 10 MB line fed one byte at a time costs the same as one fed whole. A line longer
//! than the cap is an error as soon as its bytes pass the cap, before its UTF-8 is checked.

use super::limits::{DecodeError, Fault};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Which bytes end a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnds {
    /// CR, LF or CRLF (Server-Sent Events).
    Any,
    /// LF only; a CR before it stays in the line (NDJSON).
    Lf,
}

#[derive(Debug)]
pub struct LineSplitter {
    ends: LineEnds,
    /// The incomplete last line (at the very start: the bytes of a possible byte-order mark).
    partial: Vec<u8>,
    /// Stream offset of the first byte of `partial`, i.e. of the next line.
    line_start: u64,
    /// The last line ended with a CR that was the last byte fed: an LF that comes next belongs to it.
    after_cr: bool,
    /// No byte of content seen yet, so a byte-order mark may still be arriving.
    at_start: bool,
    /// Bytes examined while looking for line ends (a linearity witness for tests).
    scanned: u64,
    /// The longest line accepted, in bytes without its line end.
    max_line: usize,
}

impl LineSplitter {
    pub fn new(ends: LineEnds, max_line: usize) -> Self {
        Self {
            ends,
            max_line,
            partial: Vec::new(),
            line_start: 0,
            after_cr: false,
            at_start: true,
            scanned: 0,
        }
    }

    pub fn bytes_scanned(&self) -> u64 {
        self.scanned
    }

    /// Hands every line completed by `chunk` (without its line end) to `on_line`, in order. Stops at the
    /// first line that is too long or not UTF-8, or that `on_line` refuses; the lines before it have been
    /// handed over.
    pub fn feed(
        &mut self,
        chunk: &[u8],
        on_line: &mut impl FnMut(&str) -> Result<(), Fault>,
    ) -> Result<(), DecodeError> {
        let mut rest = chunk;
        if self.at_start {
            match self.strip_bom(rest) {
                Some(after) => rest = after,
                None => return Ok(()),
            }
        }
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            if let Some(after) = rest.strip_prefix(b"\n") {
                rest = after;
                self.line_start += 1;
            }
        }
        while let Some(end) = self.find_end(rest) {
            let Some((line, after)) = rest.split_at_checked(end) else {
                break;
            };
            let mut ending = 1;
            if after.first() == Some(&b'\r') {
                match after.get(1) {
                    Some(b'\n') => ending = 2,
                    None => self.after_cr = true,
                    Some(_) => {}
                }
            }
            rest = after.get(ending..).unwrap_or_default();
            self.check_length(line.len())?;
            if self.partial.is_empty() {
                self.emit(line, on_line)?;
            } else {
                self.partial.extend_from_slice(line);
                let mut whole = std::mem::take(&mut self.partial);
                let result = self.emit(&whole, on_line);
                whole.clear();
                self.partial = whole; // keep the allocation for the next long line
                result?;
            }
            self.line_start += ending as u64;
        }
        self.check_length(rest.len())?;
        self.partial.extend_from_slice(rest);
        Ok(())
    }

    /// The line held in `partial` would grow by `more` bytes: an error past the cap (the buffer is
    /// dropped, the decoder being failed from then on).
    fn check_length(&mut self, more: usize) -> Result<(), DecodeError> {
        if self.partial.len().saturating_add(more) <= self.max_line {
            return Ok(());
        }
        self.partial = Vec::new();
        Err(DecodeError {
            fault: Fault::LineTooLong(self.max_line),
            offset: Some(self.line_start),
        })
    }

    /// End of stream: hands over the last line if it had no line end, then starts afresh.
    pub fn finish(
        &mut self,
        on_line: &mut impl FnMut(&str) -> Result<(), Fault>,
    ) -> Result<(), DecodeError> {
        let last = std::mem::take(&mut self.partial);
        let result = if last.is_empty() {
            Ok(())
        } else {
            self.emit(&last, on_line)
        };
        let scanned = self.scanned;
        *self = Self::new(self.ends, self.max_line);
        self.scanned = scanned;
        result
    }

    /// Returns the rest of `chunk` after a byte-order mark, or None while the stream so far could still be
    /// the start of one (those bytes are held in `partial`).
    fn strip_bom<'a>(&mut self, chunk: &'a [u8]) -> Option<&'a [u8]> {
        let want = BOM.get(self.partial.len()..).unwrap_or_default();
        let (head, after) = chunk
            .split_at_checked(want.len().min(chunk.len()))
            .unwrap_or((chunk, &[]));
        if !want.starts_with(head) {
            self.at_start = false;
            return Some(chunk);
        }
        if head.len() < want.len() {
            self.partial.extend_from_slice(head);
            return None;
        }
        self.partial.clear();
        self.line_start += BOM.len() as u64;
        self.at_start = false;
        Some(after)
    }

    fn find_end(&mut self, bytes: &[u8]) -> Option<usize> {
        let found = match self.ends {
            LineEnds::Any => find_either(bytes, b'\n', b'\r'),
            LineEnds::Lf => find_either(bytes, b'\n', b'\n'),
        };
        self.scanned += found.map_or(bytes.len(), |at| at + 1) as u64;
        found
    }

    fn emit(
        &mut self,
        line: &[u8],
        on_line: &mut impl FnMut(&str) -> Result<(), Fault>,
    ) -> Result<(), DecodeError> {
        match std::str::from_utf8(line) {
            Ok(text) => {
                on_line(text).map_err(|fault| DecodeError {
                    fault,
                    offset: match fault {
                        Fault::EventTooLarge(_) => None,
                        _ => Some(self.line_start),
                    },
                })?;
                self.line_start += line.len() as u64;
                Ok(())
            }
            Err(err) => Err(DecodeError {
                fault: Fault::InvalidUtf8,
                offset: Some(self.line_start + err.valid_up_to() as u64),
            }),
        }
    }
}

/// The first position of `a` or `b`, sixteen bytes at a time (the core crate takes no memchr dependency).
/// On x86-64 one SSE2 compare covers the sixteen bytes; long `data:` lines (search results, encrypted
/// reasoning, base64 images) made this scan a tenth of folding a stream with the word-at-a-time loop.
fn find_either(bytes: &[u8], a: u8, b: u8) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    let (bytes, base) = {
        use std::arch::x86_64::{
            _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
        };
        let mut at = 0;
        while let Some(chunk) = bytes.get(at..at + 16) {
            // SAFETY: `chunk` holds 16 readable bytes; the intrinsics only need SSE2, which every
            // x86-64 processor has.
            let mask = unsafe {
                let block = _mm_loadu_si128(chunk.as_ptr().cast());
                let hits = _mm_or_si128(
                    _mm_cmpeq_epi8(block, _mm_set1_epi8(a as i8)),
                    _mm_cmpeq_epi8(block, _mm_set1_epi8(b as i8)),
                );
                _mm_movemask_epi8(hits)
            };
            if mask != 0 {
                return Some(at + mask.trailing_zeros() as usize);
            }
            at += 16;
        }
        (bytes.get(at..).unwrap_or_default(), at)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let base = 0;
    find_either_swar(bytes, a, b).map(|at| base + at)
}

/// `find_either` a word at a time: the portable loop, and the tail of fewer than 16 bytes on x86-64.
fn find_either_swar(bytes: &[u8], a: u8, b: u8) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Nonzero iff some byte of `word` is zero (exact: borrows only start at a zero byte).
    let has_zero = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
    let (splat_a, splat_b) = (ONES * u64::from(a), ONES * u64::from(b));
    let hit = |word: &[u8]| {
        let word = u64::from_ne_bytes(word.try_into().unwrap_or_default());
        has_zero(word ^ splat_a) | has_zero(word ^ splat_b) != 0
    };
    let mut base = 0;
    for pair in bytes.chunks_exact(16) {
        if pair
            .split_at_checked(8)
            .is_none_or(|(low, high)| hit(low) || hit(high))
        {
            break;
        }
        base += 16;
    }
    let rest = bytes.get(base..).unwrap_or_default();
    rest.iter()
        .position(|&c| c == a || c == b)
        .map(|at| base + at)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn split(ends: LineEnds, pieces: &[&[u8]]) -> Result<Vec<String>, DecodeError> {
        split_capped(ends, usize::MAX, pieces)
    }

    fn split_capped(
        ends: LineEnds,
        cap: usize,
        pieces: &[&[u8]],
    ) -> Result<Vec<String>, DecodeError> {
        let mut lines = Vec::new();
        let mut splitter = LineSplitter::new(ends, cap);
        let mut push = |line: &str| {
            lines.push(line.to_owned());
            Ok(())
        };
        for piece in pieces {
            splitter.feed(piece, &mut push)?;
        }
        splitter.finish(&mut push)?;
        Ok(lines)
    }

    #[test]
    fn every_line_end_and_a_cr_lf_split_across_pieces() {
        let got = split(LineEnds::Any, &[b"a\r", b"\nb\rc\n\r", b"\n", b"d"]).unwrap();
        assert_eq!(got, ["a", "b", "c", "", "d"]);
    }

    #[test]
    fn lf_mode_keeps_cr_in_the_line() {
        let got = split(LineEnds::Lf, &[b"a\r\nb\rc\n"]).unwrap();
        assert_eq!(got, ["a\r", "b\rc"]);
    }

    #[test]
    fn bom_is_stripped_even_when_split_but_counts_in_offsets() {
        let got = split(LineEnds::Any, &[b"\xEF", b"\xBB", b"\xBFx\n"]).unwrap();
        assert_eq!(got, ["x"]);
        let err = split(LineEnds::Any, &[b"\xEF\xBB\xBFab\xFF\n"]).unwrap_err();
        assert_eq!(err.offset, Some(5));
        // A broken BOM is content: invalid UTF-8 at the first byte.
        assert_eq!(
            split(LineEnds::Any, &[b"\xEF\xBB"]).unwrap_err().offset,
            Some(0)
        );
    }

    #[test]
    fn utf8_split_inside_a_sequence_is_fine_and_the_error_offset_is_exact() {
        let euro = "\u{20ac}".as_bytes();
        let (a, b) = euro.split_at(1);
        let got = split(LineEnds::Any, &[b"x", a, b, b"\n"]).unwrap();
        assert_eq!(got, ["x\u{20ac}"]);
        let err = split(LineEnds::Any, &[b"ok\nab", b"c\xE2\x82", b"\n"]).unwrap_err();
        assert_eq!(err.offset, Some(6));
    }

    #[test]
    fn the_word_scan_finds_the_first_line_end_wherever_it_is() {
        for len in 0..70 {
            for at in 0..len {
                for (end, other) in [(b'\n', b'\r'), (b'\r', b'\n')] {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = end;
                    if at + 1 < len {
                        bytes[at + 1] = other;
                    }
                    bytes.iter_mut().take(at).for_each(|b| *b = 0x0B); // near misses: \v
                    assert_eq!(find_either(&bytes, b'\n', b'\r'), Some(at));
                }
            }
            assert_eq!(find_either(&vec![0x8A; len], b'\n', b'\r'), None);
        }
    }

    #[test]
    fn one_byte_at_a_time_scans_each_byte_once() {
        let mut body = b"data: ".to_vec();
        body.resize(10 << 20, b'x');
        body.push(b'\n');
        let mut splitter = LineSplitter::new(LineEnds::Any, usize::MAX);
        let mut total = 0usize;
        let mut count = |line: &str| {
            total += line.len();
            Ok(())
        };
        for byte in body.chunks(1) {
            splitter.feed(byte, &mut count).unwrap();
        }
        assert_eq!(total, body.len() - 1);
        assert_eq!(splitter.bytes_scanned(), body.len() as u64);
    }

    #[test]
    fn a_line_past_the_cap_fails_at_its_first_byte_however_it_is_split() {
        let body = b"ok\r\nabcdef\nxyz";
        let too_long = DecodeError {
            fault: Fault::LineTooLong(5),
            offset: Some(4),
        };
        for cut in 0..=body.len() {
            let (a, b) = body.split_at(cut);
            for ends in [LineEnds::Any, LineEnds::Lf] {
                assert_eq!(split_capped(ends, 5, &[a, b]), Err(too_long), "cut {cut}");
            }
        }
        // At the cap exactly is fine; the last line without its end counts too.
        assert_eq!(
            split_capped(LineEnds::Any, 5, &[b"abcde\nabcde"]).unwrap(),
            ["abcde", "abcde"]
        );
        let err = split_capped(LineEnds::Any, 5, &[b"abcde\nabcdef"]).unwrap_err();
        assert_eq!(err.offset, Some(6));
    }

    #[test]
    fn an_earlier_line_with_invalid_utf8_is_reported_before_a_long_line_and_not_after() {
        let err = split_capped(LineEnds::Any, 5, &[b"a\xFF\nabcdefgh\n"]).unwrap_err();
        assert_eq!(err.fault, Fault::InvalidUtf8);
        let err = split_capped(LineEnds::Any, 5, &[b"abcdef\xFF\n"]).unwrap_err();
        assert_eq!(err.fault, Fault::LineTooLong(5));
    }
}
