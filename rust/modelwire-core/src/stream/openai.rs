//! OpenAI-compatible chat completion chunks (docs/stream-rules.md, section 3; the twin is
//! `modelwire/parsing/pure/stream_openai.py`).
//!
//! A chunk is read and checked completely (`openai_read`), and only then applied to the state.

use crate::error::ParseError;

use super::openai_read::{Chunk, read};
use super::openai_tools::Tool;
use super::state::{Emit, State};
use super::{Flow, Format, state_error};

/// The OpenAI chunk format; it keeps no state of its own.
#[derive(Debug, Default, Clone, Copy)]
pub struct Chunks;

impl Format for Chunks {
    fn event(
        &mut self,
        state: &mut State,
        data: &str,
        number: u64,
        emit: &mut Emit<'_>,
    ) -> Result<Flow, ParseError> {
        if data == "[DONE]" {
            state.end_all(emit).map_err(|e| state_error(number, e))?;
            return Ok(Flow::Done);
        }
        let chunk = read(data, number)?;
        apply(state, &chunk, emit).map_err(|e| state_error(number, e))?;
        state.skip(number, &chunk.skipped);
        // OpenRouter: an error object inside a 200 stream (the chunk's other fields are folded first).
        Ok(if chunk.error {
            Flow::Error
        } else {
            Flow::Continue
        })
    }
}

fn apply(state: &mut State, chunk: &Chunk<'_>, emit: &mut Emit<'_>) -> Result<(), ParseError> {
    state.identify(chunk.id.as_deref(), chunk.model.as_deref());
    state.describe(
        chunk.fingerprint.as_deref(),
        chunk.tier.as_deref(),
        chunk.created,
    );
    for delta in &chunk.choices {
        let choice = state.choice(delta.index);
        state.reasoning(choice, &delta.reasoning, emit);
        if let Some(content) = &delta.content {
            state.text(choice, content, emit);
        }
        state.refusal(choice, &delta.refusal, emit);
        for tool in &delta.tools {
            apply_tool(state, choice, tool, emit)?;
        }
        if let Some((content, refusal)) = &delta.logprobs {
            if let Some(c) = state.choices.get_mut(choice) {
                let merged = c.logprobs.get_or_insert_with(Default::default);
                for (items, into) in [
                    (content, &mut merged.content),
                    (refusal, &mut merged.refusal),
                ] {
                    if let Some(items) = items {
                        into.get_or_insert_with(Vec::new)
                            .extend(items.iter().map(|i| (*i).to_owned()));
                    }
                }
            }
        }
        state.finish(choice, delta.finish.as_deref(), emit)?;
    }
    state.set_usage(chunk.usage.clone(), emit);
    Ok(())
}

fn apply_tool(
    state: &mut State,
    choice: usize,
    tool: &Tool<'_>,
    emit: &mut Emit<'_>,
) -> Result<(), ParseError> {
    let id = tool.id.as_deref();
    let calls = state
        .choices
        .get(choice)
        .map(|c| c.calls.as_slice())
        .unwrap_or_default();
    // The latest call with this key continues, unless the fragment names another id: servers that give
    // every call index 0 (Ollama, some proxies) start each call with its own id.
    let found = calls.iter().rposition(|c| c.key == tool.key).filter(|&at| {
        calls
            .get(at)
            .is_none_or(|call| id.is_none() || call.id.is_none() || call.id.as_deref() == id)
    });
    let at = match found {
        Some(at) => {
            if let Some(call) = state
                .choices
                .get_mut(choice)
                .and_then(|c| c.calls.get_mut(at))
            {
                if id.is_some() && call.id.is_none() {
                    call.id = id.map(str::to_owned);
                }
                if !tool.name.is_empty() && call.name.is_empty() {
                    call.name = tool.name.to_string();
                }
            }
            at
        }
        None => state.start_call(choice, tool.key, id, &tool.name, emit)?,
    };
    state.arguments(choice, at, &tool.arguments, emit);
    Ok(())
}
