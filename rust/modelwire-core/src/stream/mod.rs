//! Folding streamed chat completions: SSE bytes in, canonical stream events and the folded state out.
//!
//! Two formats share one driver and one state: OpenAI-compatible `chat.completion.chunk`s (`openai`)
//! and Anthropic Messages events (`anthropic`). Rules: docs/stream-rules.md; the pure-Python twin is
//! `modelwire.parsing.pure.stream_*`. Each SSE event is read completely (every field the rules read is
//! checked, duplicate keys keep their last value as orjson does) before anything is applied, so an
//! event with a fault changes nothing. Failures follow the SSE decoder's rule: the events before the
//! fault are handed over, then the error is returned, and the folder stays failed. An error event sent
//! inside the stream stops folding and is kept (`error()`) for the caller to classify.

pub mod anthropic;
mod anthropic_read;
pub mod bedrock;
mod bedrock_read;
mod compact;
pub mod events;
pub mod gemini;
pub mod openai;
mod openai_read;
mod openai_tools;
pub mod responses;
mod state;

pub use state::{Call, Choice, Logprobs, Reasoning, State, Thinking};

use crate::error::{Fault, ParseError, Snippet};
use crate::json::SyntaxError;
use crate::sse::{SseDecoder, SseEvent};
use crate::usage::Usage;

/// One canonical stream event; the strings borrow from the event being folded or from the state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event<'e> {
    Text {
        choice: i128,
        text: &'e str,
    },
    Reasoning {
        choice: i128,
        text: &'e str,
    },
    Refusal {
        choice: i128,
        text: &'e str,
    },
    /// `id` is `None` when the provider sent none yet: the binding generates one.
    ToolCallStart {
        choice: i128,
        index: usize,
        id: Option<&'e str>,
        name: &'e str,
    },
    ToolCallDelta {
        choice: i128,
        index: usize,
        arguments: &'e str,
    },
    ToolCallEnd {
        choice: i128,
        index: usize,
        call: &'e Call,
    },
    Usage(&'e Usage),
    /// `native` is the finish reason as sent; `reason` the canonical one when the format decided it
    /// (else the shared table's).
    Finish {
        choice: i128,
        native: &'e str,
        reason: Option<&'static str>,
    },
}

/// What an event did to the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// The terminator (`[DONE]`, `message_stop`; Gemini: every choice finished): nothing after it is
    /// folded.
    Done,
    /// An error reported inside the stream: its data is kept, nothing after it is folded.
    Error,
}

/// One stream format: folds the data of an SSE event into the state.
pub trait Format {
    /// Prepares a new state (Anthropic: its one choice exists from the start).
    fn init(&mut self, _state: &mut State) {}

    /// Folds the data of event `number`, which is neither empty nor an error event's.
    fn event(
        &mut self,
        state: &mut State,
        data: &str,
        number: u64,
        emit: &mut state::Emit<'_>,
    ) -> Result<Flow, ParseError>;

    /// Folds event `number` named `name` (SSE's `event:`, an event stream's `:event-type`); formats
    /// whose data names its own type keep this default.
    fn named_event(
        &mut self,
        state: &mut State,
        name: Option<&str>,
        data: &str,
        number: u64,
        emit: &mut state::Emit<'_>,
    ) -> Result<Flow, ParseError> {
        let _ = name;
        self.event(state, data, number, emit)
    }
}

/// Where a folder's events come from: SSE (the default), or event-stream messages as events
/// (`events::EventStreamEvents`). A failure is returned after the events before it were handed over.
pub trait Source {
    fn feed_with(&mut self, chunk: &[u8], emit: impl FnMut(SseEvent)) -> Result<(), ParseError>;
    fn finish_with(&mut self, emit: impl FnMut(SseEvent)) -> Result<(), ParseError>;
}

impl Source for SseDecoder {
    fn feed_with(&mut self, chunk: &[u8], emit: impl FnMut(SseEvent)) -> Result<(), ParseError> {
        SseDecoder::feed_with(self, chunk, emit).map_err(decode_error)
    }

    fn finish_with(&mut self, emit: impl FnMut(SseEvent)) -> Result<(), ParseError> {
        SseDecoder::finish_with(self, emit).map_err(decode_error)
    }
}

fn decode_error(error: crate::sse::DecodeError) -> ParseError {
    ParseError {
        message: error.message("event stream"),
        path: None,
        offset: error.offset.and_then(|offset| usize::try_from(offset).ok()),
        snippet: None,
    }
}

/// Bytes in (pieces of any size), events out, through `F`; SSE unless `D` says otherwise.
#[derive(Debug)]
pub struct Folder<F, D = SseDecoder> {
    decoder: D,
    inner: Inner<F>,
}

/// Everything but the decoder, so that the decoder's callback can borrow it.
#[derive(Debug)]
struct Inner<F> {
    format: F,
    state: State,
    failure: Option<ParseError>,
    error: Option<String>,
    done: bool,
    /// SSE events seen, for error messages.
    number: u64,
}

pub type OpenAIFolder = Folder<openai::Chunks>;
pub type AnthropicFolder = Folder<anthropic::Messages>;
pub type GeminiFolder = Folder<gemini::Chunks>;
pub type ResponsesFolder = Folder<responses::Responses>;
pub type BedrockFolder = Folder<bedrock::Converse, events::EventStreamEvents>;

impl<F: Format + Default, D: Source + Default> Default for Folder<F, D> {
    fn default() -> Self {
        Self::new(F::default())
    }
}

impl<F: Format> Inner<F> {
    fn event(&mut self, event: SseEvent, emit: &mut state::Emit<'_>) {
        if self.failure.is_some() || self.error.is_some() || self.done {
            return;
        }
        self.number += 1;
        // In both formats an error event's data is the provider's error.
        if event.event.as_deref() == Some("error") {
            self.error = Some(event.data);
            return;
        }
        if event.data.is_empty() {
            return;
        }
        let name = event.event.as_deref();
        match self
            .format
            .named_event(&mut self.state, name, &event.data, self.number, emit)
        {
            Ok(Flow::Continue) => {}
            Ok(Flow::Done) => self.done = true,
            Ok(Flow::Error) => self.error = Some(event.data),
            Err(failure) => self.failure = Some(failure),
        }
    }
}

impl<F: Format, D: Source + Default> Folder<F, D> {
    pub fn new(mut format: F) -> Self {
        let mut state = State::default();
        format.init(&mut state);
        Self {
            decoder: D::default(),
            inner: Inner {
                format,
                state,
                failure: None,
                error: None,
                done: false,
                number: 0,
            },
        }
    }

    pub fn state(&self) -> &State {
        &self.inner.state
    }

    /// The data of an error event sent inside the stream, once one arrived.
    pub fn error(&self) -> Option<&str> {
        self.inner.error.as_deref()
    }

    /// The stream's terminator arrived.
    pub fn done(&self) -> bool {
        self.inner.done
    }

    /// Hands each event completed by `chunk` to `emit`. On a failure the events before it have been
    /// handed over and the folder is failed from then on.
    pub fn feed_with(
        &mut self,
        chunk: &[u8],
        emit: &mut impl FnMut(Event<'_>),
    ) -> Result<(), ParseError> {
        if let Some(failure) = &self.inner.failure {
            return Err(failure.clone());
        }
        let Self { decoder, inner } = self;
        let decoded = decoder.feed_with(chunk, |event| inner.event(event, emit));
        self.settle(decoded)
    }

    /// End of stream: the last event even without its blank line, then every open tool call ends.
    pub fn finish_with(&mut self, emit: &mut impl FnMut(Event<'_>)) -> Result<(), ParseError> {
        if let Some(failure) = &self.inner.failure {
            return Err(failure.clone());
        }
        let Self { decoder, inner } = self;
        let decoded = decoder.finish_with(|event| inner.event(event, emit));
        self.settle(decoded)?;
        let inner = &mut self.inner;
        if inner.error.is_none() && !inner.done {
            if let Err(failure) = inner.state.end_all(emit) {
                let failure = state_error(inner.number, failure);
                inner.failure = Some(failure.clone());
                return Err(failure);
            }
        }
        Ok(())
    }

    fn settle(&mut self, decoded: Result<(), ParseError>) -> Result<(), ParseError> {
        if let Err(error) = decoded {
            self.inner.failure.get_or_insert(error);
        }
        match &self.inner.failure {
            Some(failure) => Err(failure.clone()),
            None => Ok(()),
        }
    }
}

/// The data of event `number` is not JSON.
pub(crate) fn syntax_error(number: u64, error: &SyntaxError, data: &str) -> ParseError {
    ParseError {
        message: format!("stream event {number} is not valid JSON: {}", error.reason),
        path: None,
        offset: Some(error.offset),
        snippet: Some(Snippet::around(data.as_bytes(), error.offset)),
    }
}

/// A field of event `number` has the wrong shape.
pub(crate) fn fault_error(number: u64, fault: Fault) -> ParseError {
    let error = ParseError::fault(fault);
    ParseError {
        message: format!("stream event {number}: {}", error.message),
        ..error
    }
}

/// A failure of the state (a tool call without a name) while folding event `number`.
pub(crate) fn state_error(number: u64, error: ParseError) -> ParseError {
    ParseError {
        message: format!("stream event {number}: {}", error.message),
        ..error
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests;
