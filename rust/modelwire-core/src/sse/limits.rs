//! The caps every incremental decoder enforces, and the error a stream that breaks one (or is not UTF-8)
//! gets. The pure-Python twin (`modelwire.parsing.pure.sse`) has the same constants and messages; the
//! rules are in docs/stream-rules.md section 7.

use std::fmt;

/// The longest line (its bytes, without the line end) an SSE or NDJSON decoder buffers. The incomplete
/// last line is the only buffered frame these formats have, so this also caps the buffered bytes.
pub const MAX_LINE_BYTES: usize = 32 << 20;

/// The most data one SSE event may hold (its `data` lines joined by `\n`, in bytes).
pub const MAX_EVENT_BYTES: usize = 64 << 20;

/// The caps of one decoder. `Limits::default()` holds the documented constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_line: usize,
    pub max_event: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_line: MAX_LINE_BYTES,
            max_event: MAX_EVENT_BYTES,
        }
    }
}

/// What was wrong with the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    InvalidUtf8,
    /// A line longer than the cap (which it carries).
    LineTooLong(usize),
    /// An event holding more data than the cap (which it carries).
    EventTooLarge(usize),
}

/// A decoder failure. `offset` counts from the first byte of the stream (a stripped byte-order mark
/// counts): the first offending byte for invalid UTF-8, the first byte of the line for a line too long,
/// none for an event too large.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeError {
    pub fault: Fault,
    pub offset: Option<u64>,
}

impl DecodeError {
    /// The message, naming the stream as `what` ("event stream", "NDJSON stream").
    pub fn message(&self, what: &str) -> String {
        match self.fault {
            Fault::InvalidUtf8 => format!("invalid UTF-8 in the {what}"),
            Fault::LineTooLong(cap) => format!("a line of the {what} is longer than {cap} bytes"),
            Fault::EventTooLarge(cap) => {
                format!("an event of the {what} holds more than {cap} bytes of data")
            }
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message("stream"))?;
        match self.offset {
            Some(offset) => write!(f, " at byte {offset}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for DecodeError {}
