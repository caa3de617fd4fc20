//! Gemini `streamGenerateContent?alt=sse` (docs/parsing-rules-gemini.md, section 5; the twin is
//! `modelwire/parsing/pure/stream_gemini.py`): every event's data is a whole `GenerateContentResponse`,
//! read by the body parser's reader and folded. There is no terminator event: the stream is done once
//! every choice seen has a finish reason.

use crate::error::ParseError;
use crate::gemini::{self, Candidate, PartKind};

use super::openai_read::open;
use super::state::{Emit, State, Thinking};
use super::{Flow, Format, fault_error, state_error, syntax_error};

/// The Gemini chunk format: per choice, whether its last part was a thought (a following thought part
/// extends that thinking block).
#[derive(Debug, Default, Clone)]
pub struct Chunks {
    open_thought: Vec<(i128, bool)>,
}

impl Format for Chunks {
    fn event(
        &mut self,
        state: &mut State,
        data: &str,
        number: u64,
        emit: &mut Emit<'_>,
    ) -> Result<Flow, ParseError> {
        let mut r = open(data, number)?;
        let syntax = |e| syntax_error(number, &e, data);
        let result = gemini::read(&mut r).map_err(syntax)?;
        r.finish().map_err(syntax)?;
        let mut read = result.map_err(|fault| fault_error(number, fault))?;
        if read.candidates.is_empty() {
            if matches!(read.error, crate::fields::ErrorField::Text(_)) {
                return Ok(Flow::Error);
            }
            if let Some(feedback) = read.feedback.take() {
                let blocked = feedback
                    .blocked()
                    .map_err(|fault| fault_error(number, fault))?;
                if blocked.is_some() {
                    return Ok(Flow::Error);
                }
            }
        }
        if let Some(error) = read.malformed() {
            return Err(error);
        }
        state.identify(read.id.as_deref(), read.model.as_deref());
        state.describe(None, read.tier.as_deref(), None);
        for candidate in read.candidates {
            self.candidate(state, candidate, emit)
                .map_err(|error| state_error(number, error))?;
        }
        state.set_usage(read.usage, emit);
        if !state.choices.is_empty() && state.choices.iter().all(|c| c.finish.is_some()) {
            state
                .end_all(emit)
                .map_err(|error| state_error(number, error))?;
            return Ok(Flow::Done);
        }
        Ok(Flow::Continue)
    }
}

impl Chunks {
    fn is_open(&self, index: i128) -> bool {
        self.open_thought
            .iter()
            .any(|&(i, open)| i == index && open)
    }

    fn set_open(&mut self, index: i128, open: bool) {
        match self.open_thought.iter_mut().find(|(i, _)| *i == index) {
            Some(slot) => slot.1 = open,
            None => self.open_thought.push((index, open)),
        }
    }

    fn candidate(
        &mut self,
        state: &mut State,
        candidate: Candidate<'_>,
        emit: &mut Emit<'_>,
    ) -> Result<(), ParseError> {
        let choice = state.choice(candidate.index);
        for part in candidate.parts {
            if part.kind == PartKind::Thought {
                let text = part.text.unwrap_or_default();
                let open = self.is_open(candidate.index);
                if let Some(c) = state.choices.get_mut(choice) {
                    match c.thinking.last_mut().filter(|_| open) {
                        Some(thinking) => {
                            // As the twin's `part.signature or thinking.signature`.
                            if let Some(signature) = part.signature.filter(|s| !s.is_empty()) {
                                thinking.signature = Some(signature.into_owned());
                            }
                            thinking
                                .text
                                .get_or_insert_with(String::new)
                                .push_str(&text);
                        }
                        None => c.thinking.push(Thinking {
                            text: Some(text.to_string()),
                            signature: part.signature.map(|s| s.into_owned()),
                            ..Thinking::default()
                        }),
                    }
                }
                state.reasoning(choice, &text, emit);
                self.set_open(candidate.index, true);
                continue;
            }
            self.set_open(candidate.index, false);
            if let Some(signature) = part.signature {
                if let Some(c) = state.choices.get_mut(choice) {
                    c.thinking.push(Thinking {
                        signature: Some(signature.into_owned()),
                        ..Thinking::default()
                    });
                }
            }
            match part.kind {
                PartKind::Text => {
                    if let Some(text) = &part.text {
                        state.text(choice, text, emit);
                    }
                }
                PartKind::Call => {
                    if let Some(call) = part.call {
                        let at =
                            state.start_call(choice, None, call.id.as_deref(), &call.name, emit)?;
                        if let crate::message::Arguments::Written { json, .. } = &call.arguments {
                            state.arguments(choice, at, json, emit);
                        }
                        state.end_call(choice, at, emit)?;
                    }
                }
                PartKind::Thought | PartKind::Image | PartKind::Other => {}
            }
        }
        state.finish(choice, candidate.finish.as_deref(), emit)
    }
}
