//! Gemini `streamGenerateContent?alt=sse` (docs/parsing-rules-gemini.md, section 5; the twin is
//! `modelwire/parsing/pure/stream_gemini.py`): every event's data is a whole `GenerateContentResponse`,
//! read by the body parser's reader and folded. There is no terminator event: the stream is done once
//! every choice seen has a finish reason.

use crate::error::{Fault, ParseError};
use crate::gemini::partial::Streamed;
use crate::gemini::{self, Candidate, Part, PartKind};
use crate::message::Arguments;

use super::openai_read::open;
use super::state::{Emit, State, Thinking};
use super::{Flow, Format, fault_error, state_error, syntax_error};

/// The Gemini chunk format: per choice, whether its last part was a thought (a following thought part
/// extends that thinking block), and the call whose arguments arrive as `partialArgs`.
#[derive(Debug, Default, Clone)]
pub struct Chunks {
    open_thought: Vec<(i128, bool)>,
    streamed: Vec<(i128, Open)>,
}

/// A streamed call: its position in the choice's calls, its arguments so far, its path.
#[derive(Debug, Clone)]
struct Open {
    call: usize,
    arguments: Streamed,
    path: String,
}

/// What went wrong folding a candidate: a field (worded as a fault) or the state.
enum Failure {
    Fault(Fault),
    State(ParseError),
}

impl From<Fault> for Failure {
    fn from(fault: Fault) -> Self {
        Self::Fault(fault)
    }
}

impl From<ParseError> for Failure {
    fn from(error: ParseError) -> Self {
        Self::State(error)
    }
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
                .map_err(|failure| match failure {
                    Failure::Fault(fault) => fault_error(number, fault),
                    Failure::State(error) => state_error(number, error),
                })?;
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
    ) -> Result<(), Failure> {
        let choice = state.choice(candidate.index);
        for mut part in candidate.parts {
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
            if let Some(signature) = part.signature.take() {
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
                    self.close(state, candidate.index, choice, emit)?;
                    if let Some(call) = part.call {
                        let at =
                            state.start_call(choice, None, call.id.as_deref(), &call.name, emit)?;
                        if let Arguments::Written { json, .. } = &call.arguments {
                            state.arguments(choice, at, json, emit);
                        }
                        state.end_call(choice, at, emit)?;
                    }
                }
                PartKind::Piece => self.piece(state, candidate.index, choice, part, emit)?,
                PartKind::Thought | PartKind::Image | PartKind::Other => {}
            }
        }
        if candidate.finish.is_some() {
            self.close(state, candidate.index, choice, emit)?;
        }
        Ok(state.finish(choice, candidate.finish.as_deref(), emit)?)
    }

    /// A piece of a streamed call: a named one starts a call, the others continue the open one.
    fn piece(
        &mut self,
        state: &mut State,
        index: i128,
        choice: usize,
        part: Part<'_>,
        emit: &mut Emit<'_>,
    ) -> Result<(), Failure> {
        let (id, name) = match &part.call {
            Some(call) => (call.id.as_deref(), call.name.as_ref()),
            None => (None, ""),
        };
        if !name.is_empty() {
            self.close(state, index, choice, emit)?;
            let call = state.start_call(choice, None, id, name, emit)?;
            self.streamed.push((
                index,
                Open {
                    call,
                    arguments: Streamed::default(),
                    path: part.path.clone(),
                },
            ));
        }
        let Some((_, open)) = self.streamed.iter_mut().find(|(i, _)| *i == index) else {
            return Err(Failure::Fault(Fault::new(
                "a piece of a streamed function call, but no call was started".into(),
                part.path,
            )));
        };
        for piece in &part.pieces {
            open.arguments.apply(piece);
        }
        if !part.will_continue {
            self.close(state, index, choice, emit)?;
        }
        Ok(())
    }

    /// Ends the choice's streamed call, its assembled arguments as one fragment.
    fn close(
        &mut self,
        state: &mut State,
        index: i128,
        choice: usize,
        emit: &mut Emit<'_>,
    ) -> Result<(), Failure> {
        let Some(at) = self.streamed.iter().position(|(i, _)| *i == index) else {
            return Ok(());
        };
        let (_, open) = self.streamed.remove(at);
        if !open.arguments.is_empty() {
            let json = open.arguments.arguments(&open.path)?;
            state.arguments(choice, open.call, &json, emit);
        }
        state.end_call(choice, open.call, emit)?;
        Ok(())
    }
}
