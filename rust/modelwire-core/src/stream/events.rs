//! An AWS event stream's messages as the events a folder reads (the twin: `EventStreamEvents` in
//! `modelwire/parsing/pure/stream_bedrock.py`): an event named by its `:event-type`, its payload the
//! data; an exception (`:message-type` `exception`, or a protocol `error`) as an error event whose data
//! is `{"<exceptionType>": <payload>}`, the shape `modelwire.errors` reads Bedrock stream exceptions in.

use crate::error::ParseError;
use crate::eventstream::{EventStreamDecoder, Message};
use crate::json::write::write_str;
use crate::sse::SseEvent;

use super::Source;

#[derive(Debug, Default)]
pub struct EventStreamEvents {
    decoder: EventStreamDecoder,
    /// Messages seen, for error messages.
    number: u64,
    failure: Option<ParseError>,
}

impl EventStreamEvents {
    fn event(&mut self, message: Message) -> Result<SseEvent, ParseError> {
        self.number += 1;
        let kind = message.string_header(":message-type");
        if matches!(kind, Some("exception" | "error")) {
            return Ok(SseEvent {
                event: Some("error".into()),
                data: error_data(&message),
                ..SseEvent::default()
            });
        }
        let name = message.string_header(":event-type").map(str::to_owned);
        match String::from_utf8(message.payload) {
            Ok(data) => Ok(SseEvent {
                event: name,
                data,
                ..SseEvent::default()
            }),
            Err(_) => Err(ParseError {
                message: format!(
                    "event stream message {}: the payload is not valid UTF-8",
                    self.number
                ),
                path: None,
                offset: None,
                snippet: None,
            }),
        }
    }

    fn run(
        &mut self,
        chunk: Option<&[u8]>,
        mut emit: impl FnMut(SseEvent),
    ) -> Result<(), ParseError> {
        if let Some(failure) = &self.failure {
            return Err(failure.clone());
        }
        let mut decoder = std::mem::take(&mut self.decoder);
        let mut deliver = |message| {
            if self.failure.is_some() {
                return;
            }
            match self.event(message) {
                Ok(event) => emit(event),
                Err(error) => self.failure = Some(error),
            }
        };
        let decoded = match chunk {
            Some(chunk) => decoder.feed_with(chunk, &mut deliver),
            None => decoder.finish(),
        };
        self.decoder = decoder;
        match &self.failure {
            Some(failure) => Err(failure.clone()),
            None => decoded,
        }
    }
}

impl Source for EventStreamEvents {
    fn feed_with(&mut self, chunk: &[u8], emit: impl FnMut(SseEvent)) -> Result<(), ParseError> {
        self.run(Some(chunk), emit)
    }

    fn finish_with(&mut self, emit: impl FnMut(SseEvent)) -> Result<(), ParseError> {
        self.run(None, emit)
    }
}

/// `{"<name>": <payload>}` for an exception message; `{"<code>": {"message": ...}}` for an error.
fn error_data(message: &Message) -> String {
    let mut out = b"{".to_vec();
    if message.string_header(":message-type") == Some("error") {
        let code = message
            .string_header(":error-code")
            .unwrap_or("UnknownError");
        write_str(&mut out, code);
        out.extend_from_slice(b":{\"message\":");
        write_str(
            &mut out,
            message.string_header(":error-message").unwrap_or(""),
        );
        out.push(b'}');
    } else {
        let kind = message
            .string_header(":exception-type")
            .unwrap_or("UnknownException");
        write_str(&mut out, kind);
        out.push(b':');
        let payload = &message.payload;
        let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
        let start = payload
            .iter()
            .position(|b| !blank(b))
            .unwrap_or(payload.len());
        let end = payload
            .iter()
            .rposition(|b| !blank(b))
            .map_or(start, |e| e + 1);
        let stripped = payload.get(start..end).unwrap_or_default();
        if stripped.first() == Some(&b'{') {
            out.extend_from_slice(stripped);
        } else {
            out.extend_from_slice(b"{\"message\":");
            write_str(&mut out, &String::from_utf8_lossy(payload));
            out.push(b'}');
        }
    }
    out.push(b'}');
    String::from_utf8_lossy(&out).into_owned()
}
