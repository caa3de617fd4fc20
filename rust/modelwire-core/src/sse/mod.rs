//! Incremental decoding of Server-Sent Events and NDJSON streams.
//!
//! The SSE rules are the WHATWG "event stream interpretation" with three deliberate departures, shared
//! with the pure-Python twin (`modelwire.parsing.pure.sse`):
//! - invalid UTF-8 is an error naming its byte offset, never replaced;
//! - an event is dispatched when its block set any field (`data`, `event`, a valid `id` or `retry`), so
//!   `event: ping` with no data still arrives, with `data == ""`;
//! - `finish` dispatches a final block that had no blank line after it (providers end streams so).
//!
//! Every decoder enforces the caps of `limits` (a line, an SSE event's data); past one it fails with a
//! `DecodeError`, as it does on invalid UTF-8, so a hostile stream cannot grow its buffers without bound.
//!
//! After an error the decoder stays failed: every later call returns the same error. Events completed
//! before the faulty line are still delivered (by `feed`, before the error is returned).

mod limits;
mod lines;
mod ndjson;

pub use limits::{DecodeError, Fault, Limits, MAX_EVENT_BYTES, MAX_LINE_BYTES};
pub use lines::{LineEnds, LineSplitter};
pub use ndjson::NdjsonDecoder;

/// One dispatched event. `event` is None when the block named none (the spec's "message"); `id` is the
/// stream's last event id, which carries over to later events as the spec says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
    pub id: Option<String>,
    pub retry: Option<u64>,
}

/// The fields of the block being read, up to its blank line.
#[derive(Debug, Default)]
struct Block {
    event: Option<String>,
    data: String,
    has_data: bool,
    retry: Option<u64>,
    /// A field that counts was set: the block becomes an event at its blank line.
    touched: bool,
    last_id: Option<String>,
    /// The most data an event may hold.
    max_event: usize,
}

impl Block {
    fn new(max_event: usize) -> Self {
        Self {
            max_event,
            ..Self::default()
        }
    }

    fn line(&mut self, line: &str, emit: &mut impl FnMut(SseEvent)) -> Result<(), Fault> {
        if line.is_empty() {
            if let Some(event) = self.dispatch() {
                emit(event);
            }
            return Ok(());
        }
        let (name, value) = match line.split_once(':') {
            Some((name, value)) => (name, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match name {
            "data" => {
                let size = self.data.len() + usize::from(self.has_data) + value.len();
                if size > self.max_event {
                    self.data = String::new();
                    return Err(Fault::EventTooLarge(self.max_event));
                }
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
                self.touched = true;
            }
            "event" => {
                self.event = Some(value.to_owned());
                self.touched = true;
            }
            "id" if !value.contains('\0') => {
                self.last_id = Some(value.to_owned());
                self.touched = true;
            }
            "retry" => {
                if let Some(millis) = parse_retry(value) {
                    self.retry = Some(millis);
                    self.touched = true;
                }
            }
            // Comments (empty name), unknown fields and ids holding NUL are ignored, as the spec says.
            _ => {}
        }
        Ok(())
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        if !self.touched {
            return None;
        }
        self.touched = false;
        self.has_data = false;
        Some(SseEvent {
            event: self.event.take().filter(|name| !name.is_empty()),
            data: std::mem::take(&mut self.data),
            id: self.last_id.clone(),
            retry: self.retry.take(),
        })
    }
}

/// ASCII digits only, and the value must fit in a u64; anything else is ignored.
fn parse_retry(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// Bytes in (pieces of any size, split anywhere), events out.
#[derive(Debug)]
pub struct SseDecoder {
    lines: LineSplitter,
    block: Block,
    error: Option<DecodeError>,
}

impl Default for SseDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl SseDecoder {
    pub fn new() -> Self {
        Self::with_limits(Limits::default())
    }

    pub fn with_limits(limits: Limits) -> Self {
        Self {
            lines: LineSplitter::new(LineEnds::Any, limits.max_line),
            block: Block::new(limits.max_event),
            error: None,
        }
    }

    /// Hands each event completed by `chunk` to `on_event`. On an error the events before the faulty
    /// line have been handed over, and the decoder is failed from then on.
    pub fn feed_with(
        &mut self,
        chunk: &[u8],
        mut on_event: impl FnMut(SseEvent),
    ) -> Result<(), DecodeError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let block = &mut self.block;
        let result = self
            .lines
            .feed(chunk, &mut |line| block.line(line, &mut on_event));
        self.error = result.err();
        result
    }

    /// End of stream: the last line and the last event even without their line end or blank line. The
    /// decoder is then ready for a new stream.
    pub fn finish_with(&mut self, mut on_event: impl FnMut(SseEvent)) -> Result<(), DecodeError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let block = &mut self.block;
        let result = self
            .lines
            .finish(&mut |line| block.line(line, &mut on_event));
        if let Err(error) = result {
            self.error = Some(error);
            return Err(error);
        }
        if let Some(event) = self.block.dispatch() {
            on_event(event);
        }
        self.block = Block::new(self.block.max_event);
        Ok(())
    }

    /// The events completed by `chunk`. An error is returned at once if no event preceded it in this
    /// chunk; otherwise those events are returned and the error comes with the next call.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, DecodeError> {
        let mut events = Vec::new();
        let result = self.feed_with(chunk, |event| events.push(event));
        deliver(events, result)
    }

    /// The events that `finish_with` dispatches, with `feed`'s error rule.
    pub fn finish(&mut self) -> Result<Vec<SseEvent>, DecodeError> {
        let mut events = Vec::new();
        let result = self.finish_with(|event| events.push(event));
        deliver(events, result)
    }

    /// Bytes examined so far while looking for line ends (never more than the bytes fed).
    pub fn bytes_scanned(&self) -> u64 {
        self.lines.bytes_scanned()
    }
}

/// Events that arrived before an error are returned; the error stays stored for the next call.
fn deliver<T>(events: Vec<T>, result: Result<(), DecodeError>) -> Result<Vec<T>, DecodeError> {
    match result {
        Err(error) if events.is_empty() => Err(error),
        _ => Ok(events),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests;
