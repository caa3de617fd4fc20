//! Bedrock ConverseStream events (docs/stream-rules.md, section 6; the twin is
//! `modelwire/parsing/pure/stream_bedrock.py`), named by the event stream's `:event-type`, with the
//! conventions of the non-streamed parser (docs/parsing-rules-bedrock.md): one choice, text blocks
//! joined with "", reasoning blocks with "\n", input = uncached + cache reads + cache writes.

use std::borrow::Cow;

use crate::bedrock::{SERVER_TOOL_USE, converse_usage};
use crate::error::{Checked, Fault, ParseError, Path};
use crate::message::{required, text_slot};

use super::bedrock_read::{EventRead, read_event};
use super::openai_read::open;
use super::state::{Emit, State, Thinking};
use super::{Flow, Format, fault_error, state_error, syntax_error};

/// What a content block folds into (a block is known once started or first sent a delta).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Text,
    Thinking(usize),
    Call(usize),
    /// A tool that ran on Bedrock's side.
    Other,
}

/// The ConverseStream format: the blocks seen so far; done once `messageStop` and `metadata` both
/// arrived (in either order).
#[derive(Debug, Default, Clone)]
pub struct Converse {
    blocks: Vec<(i128, Target)>,
    stopped: bool,
    told_usage: bool,
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

const EVENTS: [&str; 5] = [
    "contentBlockDelta",
    "contentBlockStart",
    "contentBlockStop",
    "messageStop",
    "metadata",
];

impl Format for Converse {
    fn init(&mut self, state: &mut State) {
        state.choice(0);
    }

    /// Without a name there is nothing to fold (the type is in the event stream's headers).
    fn event(
        &mut self,
        state: &mut State,
        data: &str,
        number: u64,
        emit: &mut Emit<'_>,
    ) -> Result<Flow, ParseError> {
        self.named_event(state, None, data, number, emit)
    }

    fn named_event(
        &mut self,
        state: &mut State,
        name: Option<&str>,
        data: &str,
        number: u64,
        emit: &mut Emit<'_>,
    ) -> Result<Flow, ParseError> {
        if let Some(name) = name.filter(|n| EVENTS.contains(n)) {
            let mut r = open(data, number)?;
            let syntax = |e| syntax_error(number, &e, data);
            let read = read_event(&mut r).map_err(syntax)?;
            r.finish().map_err(syntax)?;
            self.fold(state, name, read, emit)
                .map_err(|failure| match failure {
                    Failure::Fault(fault) => fault_error(number, fault),
                    Failure::State(error) => state_error(number, error),
                })?;
        }
        Ok(if self.stopped && self.told_usage {
            Flow::Done
        } else {
            Flow::Continue
        })
    }
}

fn index(slot: Option<Checked<Option<i128>>>) -> Checked<i128> {
    required(slot, &Path::ROOT.key("contentBlockIndex"), "an integer")
}

impl Converse {
    fn fold(
        &mut self,
        state: &mut State,
        name: &str,
        read: EventRead<'_>,
        emit: &mut Emit<'_>,
    ) -> Result<(), Failure> {
        match name {
            "contentBlockDelta" => self.delta(state, read, emit)?,
            "contentBlockStart" => self.start(state, read, emit)?,
            "contentBlockStop" => {
                if let Some(Target::Call(at)) = self.target(index(read.index)?) {
                    state.end_call(0, at, emit)?;
                }
            }
            "messageStop" => {
                let reason = text_slot(read.stop_reason)?;
                state.end_all(emit)?;
                state.finish(0, reason.as_deref(), emit)?;
                self.stopped = true;
            }
            _ => {
                if let Some(counts) = read.usage.unwrap_or(Ok(None))? {
                    state.set_usage(Some(converse_usage(counts)?), emit);
                }
                self.told_usage = true;
            }
        }
        Ok(())
    }

    fn target(&self, index: i128) -> Option<Target> {
        self.blocks
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, target)| *target)
    }

    fn set(&mut self, index: i128, target: Target) {
        match self.blocks.iter_mut().find(|(i, _)| *i == index) {
            Some(slot) => slot.1 = target,
            None => self.blocks.push((index, target)),
        }
    }

    fn start(
        &mut self,
        state: &mut State,
        read: EventRead<'_>,
        emit: &mut Emit<'_>,
    ) -> Result<(), Failure> {
        let index = index(read.index)?;
        let Some(Some(tool)) = read.start.unwrap_or(Ok(None))? else {
            return Ok(());
        };
        let Some(tool) = tool? else { return Ok(()) };
        let path = Path::ROOT.key("start");
        let tool_path = path.key("toolUse");
        let id = text_slot(tool.id)?.filter(|id| !id.is_empty());
        let name: Cow<'_, str> = required(tool.name, &tool_path.key("name"), "a string")?;
        if text_slot(tool.kind)?.as_deref() == Some(SERVER_TOOL_USE) {
            self.set(index, Target::Other);
            return Ok(());
        }
        let at = state.start_call(0, Some(index), id.as_deref(), &name, emit)?;
        self.set(index, Target::Call(at));
        Ok(())
    }

    fn delta(
        &mut self,
        state: &mut State,
        read: EventRead<'_>,
        emit: &mut Emit<'_>,
    ) -> Result<(), Failure> {
        let index = index(read.index)?;
        let Some(delta) = read.delta.unwrap_or(Ok(None))? else {
            return Ok(());
        };
        let text = text_slot(delta.text)?;
        let fragment = match delta.tool.unwrap_or(Ok(None))? {
            Some(input) => text_slot(input)?,
            None => None,
        };
        let pieces = match delta.reasoning.unwrap_or(Ok(None))? {
            Some([text, signature, redacted]) => Some((
                text_slot(text)?,
                text_slot(signature)?,
                text_slot(redacted)?,
            )),
            None => None,
        };
        if fragment.is_some() && self.target(index).is_none() {
            let path = Path::ROOT.key("contentBlockIndex");
            return Err(path
                .fault(format!("content block {index} was never started"))
                .into());
        }
        if let Some(text) = text {
            let target = self.target(index).unwrap_or(Target::Text);
            self.set(index, target);
            if target == Target::Text {
                state.text(0, &text, emit);
            }
        }
        if let (Some(fragment), Some(Target::Call(at))) = (fragment, self.target(index)) {
            state.arguments(0, at, &fragment, emit);
        }
        if let Some((piece, signature, redacted)) = pieces {
            let target = match self.target(index) {
                Some(target) => target,
                None => {
                    let at = state.choices.first_mut().map_or(0, |c| {
                        c.thinking.push(Thinking::default());
                        c.thinking.len() - 1
                    });
                    self.set(index, Target::Thinking(at));
                    Target::Thinking(at)
                }
            };
            if let Target::Thinking(at) = target {
                state.think(at, piece.as_deref(), emit);
                let block = state
                    .choices
                    .first_mut()
                    .and_then(|c| c.thinking.get_mut(at));
                if let Some(block) = block {
                    if let Some(signature) = signature {
                        block.signature = Some(signature.into_owned());
                    }
                    if let Some(redacted) = redacted {
                        block.redacted = Some(redacted.into_owned());
                    }
                }
            }
        }
        Ok(())
    }
}
