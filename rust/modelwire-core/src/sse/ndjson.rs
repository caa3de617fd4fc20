//! Newline-delimited JSON (Ollama's native streams, Cohere's `application/stream+json`): one JSON text
//! per line. Lines end with LF (a CR before it is JSON whitespace); blank lines are skipped. The texts are
//! not parsed here: that is the folding layer's job.

use super::{DecodeError, Fault, Limits, LineEnds, LineSplitter, deliver};

const JSON_WHITESPACE: &[char] = &[' ', '\t', '\r', '\n'];

#[derive(Debug)]
pub struct NdjsonDecoder {
    lines: LineSplitter,
    error: Option<DecodeError>,
}

impl Default for NdjsonDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl NdjsonDecoder {
    pub fn new() -> Self {
        Self::with_limits(Limits::default())
    }

    /// Only `max_line` applies: a text is one line.
    pub fn with_limits(limits: Limits) -> Self {
        Self {
            lines: LineSplitter::new(LineEnds::Lf, limits.max_line),
            error: None,
        }
    }

    /// Hands each complete non-blank line, trimmed of JSON whitespace, to `on_text`. Error rule as for
    /// `SseDecoder::feed_with`.
    pub fn feed_with(
        &mut self,
        chunk: &[u8],
        mut on_text: impl FnMut(&str),
    ) -> Result<(), DecodeError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let result = self.lines.feed(chunk, &mut |line| text(line, &mut on_text));
        self.error = result.err();
        result
    }

    /// End of stream: the last line even without its LF. The decoder is then ready for a new stream.
    pub fn finish_with(&mut self, mut on_text: impl FnMut(&str)) -> Result<(), DecodeError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let result = self.lines.finish(&mut |line| text(line, &mut on_text));
        self.error = result.err();
        result
    }

    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<String>, DecodeError> {
        let mut texts = Vec::new();
        let result = self.feed_with(chunk, |line| texts.push(line.to_owned()));
        deliver(texts, result)
    }

    pub fn finish(&mut self) -> Result<Vec<String>, DecodeError> {
        let mut texts = Vec::new();
        let result = self.finish_with(|line| texts.push(line.to_owned()));
        deliver(texts, result)
    }

    pub fn bytes_scanned(&self) -> u64 {
        self.lines.bytes_scanned()
    }
}

fn text(line: &str, on_text: &mut impl FnMut(&str)) -> Result<(), Fault> {
    let trimmed = line.trim_matches(JSON_WHITESPACE);
    if !trimmed.is_empty() {
        on_text(trimmed);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn one_text_per_non_blank_line_with_crlf_and_a_last_line_without_lf() {
        let mut decoder = NdjsonDecoder::new();
        let mut texts = decoder.feed(b"{\"a\":1}\r\n\r\n  \n{\"b\"").unwrap();
        texts.extend(decoder.feed(b":2}\n {\"c\":3} ").unwrap());
        texts.extend(decoder.finish().unwrap());
        assert_eq!(texts, ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"]);
    }

    #[test]
    fn invalid_utf8_is_reported_after_the_texts_before_it_and_then_sticks() {
        let mut decoder = NdjsonDecoder::new();
        assert_eq!(decoder.feed(b"{}\n[\xC3\x28]\n").unwrap(), ["{}"]);
        let invalid = DecodeError {
            fault: Fault::InvalidUtf8,
            offset: Some(4),
        };
        assert_eq!(decoder.feed(b"{}\n"), Err(invalid));
        assert_eq!(decoder.finish(), Err(invalid));
    }
}
