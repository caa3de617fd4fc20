//! Anthropic Messages stream events (docs/stream-rules.md, section 4; the twin is
//! `modelwire/parsing/pure/stream_anthropic.py`), with the conventions of the non-streamed parser
//! (docs/parsing-rules-anthropic.md): one choice, text blocks joined with "", thinking texts with "\n",
//! input = uncached + cache reads + cache writes.

use std::borrow::Cow;

use crate::error::{Checked, Fault, ParseError, Path};
use crate::fields::lax;

use super::anthropic_read::{Block, BlockKind, EventRead, Stop, UsageRead, read_event, stop};
use super::openai_read::open;
use super::state::{Emit, State, Thinking};
use super::{Flow, Format, fault_error, state_error, syntax_error};

/// What a content block folds into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Text,
    Thinking(usize),
    Call(usize),
    Other,
}

/// The Anthropic event format: the content blocks started so far and the usage counts as last
/// reported (`message_delta` totals are cumulative and overwrite).
#[derive(Debug, Default, Clone)]
pub struct Messages {
    blocks: Vec<(i128, Target)>,
    usage: [Option<i128>; 7],
}

impl Format for Messages {
    fn init(&mut self, state: &mut State) {
        state.choice(0);
    }

    fn event(
        &mut self,
        state: &mut State,
        data: &str,
        number: u64,
        emit: &mut Emit<'_>,
    ) -> Result<Flow, ParseError> {
        let mut r = open(data, number)?;
        let syntax = |e| syntax_error(number, &e, data);
        let mut read = EventRead::default();
        read_event(&mut r, &mut read).map_err(syntax)?;
        r.finish().map_err(syntax)?;
        let mut skipped = Vec::new();
        let flow = self.fold(state, read, &mut skipped, emit);
        let flow = flow.map_err(|failure| match failure {
            Failure::Fault(fault) => fault_error(number, fault),
            Failure::State(error) => state_error(number, error),
        })?;
        skipped.sort_unstable();
        state.skip(number, &skipped);
        Ok(flow)
    }
}

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

impl Messages {
    fn fold(
        &mut self,
        state: &mut State,
        read: EventRead<'_>,
        skipped: &mut Vec<String>,
        emit: &mut Emit<'_>,
    ) -> Result<Flow, Failure> {
        let root = Path::ROOT;
        match read.kind?.as_deref() {
            Some("content_block_delta") => {
                let index = required(read.index, "index", "an integer")?;
                let delta = read.delta?.unwrap_or_default();
                let kind = delta.kind?;
                let member = match kind.as_deref() {
                    Some("text_delta") => Some(delta.text),
                    Some("thinking_delta") => Some(delta.thinking),
                    Some("signature_delta") => Some(delta.signature),
                    Some("input_json_delta") => Some(delta.partial_json),
                    _ => None,
                };
                let piece = match member {
                    Some(slot) => slot.unwrap_or(Ok(None))?,
                    None => None,
                };
                let target = self.target(index)?;
                if let Some(piece) = piece {
                    self.delta(state, target, kind.as_deref(), &piece, emit);
                }
            }
            Some("content_block_start") => {
                let index = required(read.index, "index", "an integer")?;
                let mut block = required(read.block, "content_block", "an object")?;
                skipped.append(&mut block.skipped);
                self.start(state, index, block, emit)?;
            }
            Some("content_block_stop") => {
                let index = required(read.index, "index", "an integer")?;
                self.stop(state, index, emit)?;
            }
            Some("message_start") => {
                if let Some(message) = read.message? {
                    let message = *message;
                    let path = root.key("message");
                    let id = lax(message.id, &path.key("id"), skipped);
                    let model = lax(message.model, &path.key("model"), skipped);
                    let mut blocks = message.content?;
                    let stop = stop(message.reason, message.explanation, &path, skipped);
                    let (usage, mut unread) = message.usage;
                    skipped.append(&mut unread);
                    for block in &mut blocks {
                        skipped.append(&mut block.skipped);
                    }
                    state.identify(id.as_deref(), model.as_deref());
                    for (i, block) in blocks.into_iter().enumerate() {
                        let index = i as i128;
                        self.start(state, index, block, emit)?;
                        self.stop(state, index, emit)?;
                    }
                    self.finish(state, stop, emit)?;
                    self.set_usage(state, usage, emit);
                }
            }
            Some("message_delta") => {
                let delta = read.delta?.unwrap_or_default();
                let reason = delta.stop_reason.unwrap_or(Ok(None));
                let stop = stop(reason, delta.explanation, &root.key("delta"), skipped);
                let (usage, mut unread) = read.usage.map_or((None, Vec::new()), |u| *u);
                skipped.append(&mut unread);
                self.finish(state, stop, emit)?;
                self.set_usage(state, usage, emit);
            }
            Some("message_stop") => {
                state.end_all(emit)?;
                return Ok(Flow::Done);
            }
            Some("error") => return Ok(Flow::Error),
            _ => {}
        }
        Ok(Flow::Continue)
    }

    fn target(&self, index: i128) -> Result<Target, Fault> {
        match self.blocks.iter().rev().find(|(i, _)| *i == index) {
            Some((_, target)) => Ok(*target),
            None => Err(Fault::new(
                format!("content block {index} was never started"),
                "index".into(),
            )),
        }
    }

    fn start(
        &mut self,
        state: &mut State,
        index: i128,
        block: Block<'_>,
        emit: &mut Emit<'_>,
    ) -> Result<(), ParseError> {
        let target = match block.kind {
            BlockKind::Text => {
                if let Some(text) = &block.text {
                    state.text(0, text, emit);
                }
                Target::Text
            }
            BlockKind::Thinking => {
                let thinking = state.choices.first_mut().map(|c| {
                    c.thinking.push(Thinking {
                        signature: block.signature.map(Cow::into_owned),
                        ..Thinking::default()
                    });
                    c.thinking.len() - 1
                });
                let at = thinking.unwrap_or_default();
                state.think(at, block.text.as_deref(), emit);
                Target::Thinking(at)
            }
            BlockKind::Redacted => {
                if let Some(c) = state.choices.first_mut() {
                    c.thinking.push(Thinking {
                        redacted: block.text.map(Cow::into_owned),
                        ..Thinking::default()
                    });
                }
                Target::Other
            }
            BlockKind::ToolUse => {
                let at =
                    state.start_call(0, Some(index), block.id.as_deref(), &block.name, emit)?;
                if let Some(call) = state.choices.first_mut().and_then(|c| c.calls.get_mut(at)) {
                    call.fallback = block.arguments;
                }
                Target::Call(at)
            }
            BlockKind::Other => Target::Other,
        };
        match self.blocks.iter_mut().find(|(i, _)| *i == index) {
            Some(slot) => slot.1 = target,
            None => self.blocks.push((index, target)),
        }
        Ok(())
    }

    fn delta(
        &mut self,
        state: &mut State,
        target: Target,
        kind: Option<&str>,
        piece: &str,
        emit: &mut Emit<'_>,
    ) {
        match (kind, target) {
            (Some("text_delta"), Target::Text) => state.text(0, piece, emit),
            (Some("thinking_delta"), Target::Thinking(at)) => state.think(at, Some(piece), emit),
            (Some("signature_delta"), Target::Thinking(at)) => {
                if let Some(t) = state
                    .choices
                    .first_mut()
                    .and_then(|c| c.thinking.get_mut(at))
                {
                    t.signature = Some(piece.to_owned());
                }
            }
            (Some("input_json_delta"), Target::Call(at)) => state.arguments(0, at, piece, emit),
            _ => {}
        }
    }

    fn stop(&mut self, state: &mut State, index: i128, emit: &mut Emit<'_>) -> Result<(), Failure> {
        if let Target::Call(at) = self.target(index)? {
            state.end_call(0, at, emit)?;
        }
        Ok(())
    }

    fn finish(
        &mut self,
        state: &mut State,
        stop: Stop<'_>,
        emit: &mut Emit<'_>,
    ) -> Result<(), ParseError> {
        let (reason, explanation) = stop;
        if reason.as_deref() == Some("refusal") {
            if let Some(explanation) = explanation.filter(|e| !e.is_empty()) {
                if state.choices.first().is_some_and(|c| c.refusal.is_empty()) {
                    state.refusal(0, &explanation, emit);
                }
            }
        }
        state.finish(0, reason.as_deref(), emit)
    }

    fn set_usage(&mut self, state: &mut State, read: Option<UsageRead<'_>>, emit: &mut Emit<'_>) {
        let Some((counts, tier)) = read else { return };
        for (old, new) in self.usage.iter_mut().zip(counts) {
            if new.is_some() {
                *old = new;
            }
        }
        state.describe(None, tier.as_deref(), None);
        let usage = crate::anthropic::anthropic_usage(self.usage);
        state.set_usage(Some(usage), emit);
    }
}

/// A required member: absent (`None`) or null is a fault.
fn required<T>(
    slot: Option<Checked<Option<T>>>,
    key: &'static str,
    what: &str,
) -> Result<T, Fault> {
    let path = Path::ROOT.key(key);
    match slot {
        None => Err(path.fault("missing required field")),
        Some(read) => read?.ok_or_else(|| path.fault(format!("expected {what}, got null"))),
    }
}
