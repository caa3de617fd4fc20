//! Incremental decoding of AWS event streams (`application/vnd.amazon.eventstream`), the framing of
//! Bedrock's ConverseStream. The pure-Python twin is `modelwire.parsing.pure.eventstream`; the rules
//! (docs/stream-rules.md, section 6) are written there.
//!
//! A message is a 12-byte prelude (total length, headers length, the CRC32 of those 8 bytes), the
//! headers, the payload and the CRC32 of everything before it. Both checksums are verified; a prelude
//! announcing more than the caps is refused before anything is buffered. After an error the decoder
//! stays failed; messages completed before the fault are delivered first.

mod headers;

pub use headers::HeaderValue;

use crate::error::ParseError;

pub const PRELUDE_BYTES: usize = 12;
/// Prelude and message checksum.
pub const MIN_MESSAGE_BYTES: usize = 16;
pub const MAX_HEADERS_BYTES: usize = 128 * 1024;
pub const MAX_PAYLOAD_BYTES: usize = 24 * 1024 * 1024;

/// One decoded message; headers in the order sent (the binding keeps the last of a repeated name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub headers: Vec<(String, HeaderValue)>,
    pub payload: Vec<u8>,
}

impl Message {
    /// The value of the last header called `name`.
    pub fn header(&self, name: &str) -> Option<&HeaderValue> {
        self.headers
            .iter()
            .rev()
            .find_map(|(n, value)| (n == name).then_some(value))
    }

    /// The last header called `name`, when it is a string.
    pub fn string_header(&self, name: &str) -> Option<&str> {
        match self.header(name) {
            Some(HeaderValue::String(text)) => Some(text),
            _ => None,
        }
    }
}

/// Event-stream bytes in (pieces of any size), messages out.
#[derive(Debug, Default)]
pub struct EventStreamDecoder {
    /// The bytes of the message not yet complete.
    buffer: Vec<u8>,
    /// Stream offset of `buffer`'s first byte.
    offset: u64,
    /// Messages completed.
    number: u64,
    failure: Option<ParseError>,
}

fn be32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    if let Some(src) = bytes.get(at..at + 4) {
        word.copy_from_slice(src);
    }
    u32::from_be_bytes(word)
}

impl EventStreamDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Hands each message `chunk` completes to `emit`; on a fault the messages before it have been
    /// handed over and the decoder is failed from then on.
    pub fn feed_with(
        &mut self,
        chunk: &[u8],
        mut emit: impl FnMut(Message),
    ) -> Result<(), ParseError> {
        if let Some(failure) = &self.failure {
            return Err(failure.clone());
        }
        // Whole messages are decoded straight from `chunk` when nothing is held; only a partial one
        // is copied.
        let held = std::mem::take(&mut self.buffer);
        let (data, mut buffer) = if held.is_empty() {
            (chunk, held)
        } else {
            let mut joined = held;
            joined.extend_from_slice(chunk);
            (&[][..], joined)
        };
        let source: &[u8] = if buffer.is_empty() { data } else { &buffer };
        let result = self.decode(source, &mut emit);
        let consumed = match result {
            Ok(consumed) => consumed,
            Err((consumed, error)) => {
                self.failure = Some(error);
                consumed
            }
        };
        if buffer.is_empty() {
            buffer = data.get(consumed..).unwrap_or_default().to_vec();
        } else {
            buffer.drain(..consumed);
        }
        self.buffer = buffer;
        self.offset += consumed as u64;
        match &self.failure {
            Some(failure) => Err(failure.clone()),
            None => Ok(()),
        }
    }

    /// Convenience for tests and callers that want a list.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<Message>, ParseError> {
        let mut out = Vec::new();
        self.feed_with(chunk, |m| out.push(m))?;
        Ok(out)
    }

    /// End of stream: an error if it ended inside a message.
    pub fn finish(&mut self) -> Result<(), ParseError> {
        if let Some(failure) = &self.failure {
            return Err(failure.clone());
        }
        let held = self.buffer.len();
        if held == 0 {
            return Ok(());
        }
        let what = if held < PRELUDE_BYTES {
            format!("its prelude ({held} of {PRELUDE_BYTES} bytes received)")
        } else {
            let total = be32(&self.buffer, 0);
            format!("it ({held} of {total} bytes received)")
        };
        let error = self.error(format!("the stream ended inside {what}"), 0);
        self.failure = Some(error.clone());
        Err(error)
    }

    fn error(&self, reason: String, at: usize) -> ParseError {
        ParseError {
            message: format!("event stream message {}: {reason}", self.number + 1),
            path: None,
            offset: usize::try_from(self.offset).ok().map(|o| o + at),
            snippet: None,
        }
    }

    /// Decodes every complete message of `data`; the bytes consumed (and the fault that stopped it).
    fn decode(
        &mut self,
        data: &[u8],
        emit: &mut impl FnMut(Message),
    ) -> Result<usize, (usize, ParseError)> {
        let mut start = 0;
        while let Some(rest) = data.get(start..).filter(|r| r.len() >= PRELUDE_BYTES) {
            let total = self.prelude(rest, start).map_err(|e| (start, e))?;
            let Some(bytes) = rest.get(..total) else {
                break;
            };
            let message = self.message(bytes, start).map_err(|e| (start, e))?;
            self.number += 1;
            emit(message);
            start += total;
        }
        Ok(start)
    }

    /// The checked total length of the message whose bytes start `rest` (at `at` in the data).
    fn prelude(&self, rest: &[u8], at: usize) -> Result<usize, ParseError> {
        let total = be32(rest, 0) as usize;
        let headers = be32(rest, 4) as usize;
        let sent = be32(rest, 8);
        let computed = crc32fast::hash(rest.get(..8).unwrap_or_default());
        let fail = |reason: String| Err(self.error(reason, at));
        if computed != sent {
            return fail(format!(
                "prelude checksum mismatch (sent {sent:#010x}, computed {computed:#010x})"
            ));
        }
        if total < MIN_MESSAGE_BYTES {
            return fail(format!(
                "total length {total} is below the {MIN_MESSAGE_BYTES}-byte minimum"
            ));
        }
        if headers > total - MIN_MESSAGE_BYTES {
            return fail(format!(
                "headers length {headers} does not fit in total length {total}"
            ));
        }
        if headers > MAX_HEADERS_BYTES {
            return fail(format!(
                "headers length {headers} exceeds the {MAX_HEADERS_BYTES}-byte cap"
            ));
        }
        let payload = total - MIN_MESSAGE_BYTES - headers;
        if payload > MAX_PAYLOAD_BYTES {
            return fail(format!(
                "payload length {payload} exceeds the {MAX_PAYLOAD_BYTES}-byte cap"
            ));
        }
        Ok(total)
    }

    /// The message in `bytes` (exactly its total length, prelude checked).
    fn message(&self, bytes: &[u8], at: usize) -> Result<Message, ParseError> {
        let crc_at = bytes.len().saturating_sub(4);
        let sent = be32(bytes, crc_at);
        let computed = crc32fast::hash(bytes.get(..crc_at).unwrap_or_default());
        if computed != sent {
            return Err(self.error(
                format!("message checksum mismatch (sent {sent:#010x}, computed {computed:#010x})"),
                at,
            ));
        }
        let headers_end = PRELUDE_BYTES + be32(bytes, 4) as usize;
        let block = bytes.get(PRELUDE_BYTES..headers_end).unwrap_or_default();
        let headers = headers::parse(block)
            .map_err(|reason| self.error(format!("malformed headers: {reason}"), at))?;
        let payload = bytes.get(headers_end..crc_at).unwrap_or_default().to_vec();
        Ok(Message { headers, payload })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests;
