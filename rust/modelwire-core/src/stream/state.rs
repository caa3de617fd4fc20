//! The folded state of a stream and the events folding emits (the twin: `stream_fold.py`).

use crate::error::ParseError;
use crate::usage::Usage;

use super::Event;

/// A tool call being assembled. `key` is what the provider identifies it by (OpenAI's `index`, `None`
/// for a legacy `function_call`; Anthropic's block index); `position` its place in the final list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub key: Option<i128>,
    pub position: usize,
    /// The provider's id; `None` until it sends one (the binding then uses the id it generated).
    pub id: Option<String>,
    pub name: String,
    pub arguments: String,
    /// `arguments_json` when no fragment came: Anthropic's serialized `input`, else `{}`.
    pub fallback: Option<String>,
    pub ended: bool,
}

impl Call {
    /// The final `arguments_json`.
    pub fn arguments_json(&self) -> &str {
        if !self.arguments.is_empty() {
            return &self.arguments;
        }
        self.fallback.as_deref().unwrap_or("{}")
    }
}

/// A thinking block (Anthropic), visible or redacted, in content order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Thinking {
    pub text: Option<String>,
    pub signature: Option<String>,
    pub redacted: Option<String>,
    /// Some of its text has gone into the choice's reasoning (later blocks are joined with "\n").
    pub(super) told: bool,
}

/// `logprobs` of a choice: the raw JSON of every `content` / `refusal` item, concatenated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Logprobs {
    pub content: Option<Vec<String>>,
    pub refusal: Option<Vec<String>>,
}

/// A Responses API reasoning item, kept so a later turn can send it back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reasoning {
    pub id: Option<String>,
    pub summary: Vec<String>,
    pub content: Vec<String>,
    pub encrypted_content: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choice {
    pub index: i128,
    pub content: Option<String>,
    pub reasoning: String,
    pub refusal: String,
    pub calls: Vec<Call>,
    pub thinking: Vec<Thinking>,
    /// Responses API reasoning items, in output order.
    pub items: Vec<Reasoning>,
    /// The finish reason as sent (the last one).
    pub finish: Option<String>,
    /// The canonical reason when the format decides it (else the shared table's, from `finish`).
    pub reason: Option<&'static str>,
    pub logprobs: Option<Logprobs>,
}

/// Everything folded so far. Top-level strings keep their first non-empty value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    pub id: Option<String>,
    pub model: Option<String>,
    pub created: Option<i128>,
    pub system_fingerprint: Option<String>,
    pub service_tier: Option<String>,
    pub usage: Option<Usage>,
    /// In order of first appearance; the response lists them by index.
    pub choices: Vec<Choice>,
    /// Optional fields left out, as `event <n>: <path>`, in event order (each event's paths sorted).
    pub skipped: Vec<String>,
}

pub(super) type Emit<'f> = dyn FnMut(Event<'_>) + 'f;

fn keep_first(slot: &mut Option<String>, value: Option<&str>) {
    if let Some(value) = value.filter(|v| !v.is_empty()) {
        if slot.as_deref().is_none_or(str::is_empty) {
            *slot = Some(value.to_owned());
        }
    }
}

impl State {
    /// Records the optional fields event `number` left out.
    pub(super) fn skip(&mut self, number: u64, paths: &[String]) {
        self.skipped
            .extend(paths.iter().map(|path| format!("event {number}: {path}")));
    }

    /// The position of choice `index` in `choices`, created when new.
    pub(super) fn choice(&mut self, index: i128) -> usize {
        if let Some(at) = self.choices.iter().position(|c| c.index == index) {
            return at;
        }
        self.choices.push(Choice {
            index,
            ..Choice::default()
        });
        self.choices.len() - 1
    }

    pub(super) fn identify(&mut self, id: Option<&str>, model: Option<&str>) {
        keep_first(&mut self.id, id);
        keep_first(&mut self.model, model);
    }

    pub(super) fn describe(
        &mut self,
        fingerprint: Option<&str>,
        tier: Option<&str>,
        created: Option<i128>,
    ) {
        keep_first(&mut self.system_fingerprint, fingerprint);
        keep_first(&mut self.service_tier, tier);
        if created.is_some() && self.created.is_none_or(|c| c == 0) {
            self.created = created;
        }
    }

    fn at(&mut self, choice: usize) -> Option<&mut Choice> {
        self.choices.get_mut(choice)
    }

    pub(super) fn text(&mut self, choice: usize, text: &str, emit: &mut Emit<'_>) {
        let Some(c) = self.at(choice) else { return };
        c.content.get_or_insert_with(String::new).push_str(text);
        if !text.is_empty() {
            emit(Event::Text {
                choice: c.index,
                text,
            });
        }
    }

    pub(super) fn reasoning(&mut self, choice: usize, text: &str, emit: &mut Emit<'_>) {
        let Some(c) = self.at(choice) else { return };
        if !text.is_empty() {
            c.reasoning.push_str(text);
            emit(Event::Reasoning {
                choice: c.index,
                text,
            });
        }
    }

    pub(super) fn refusal(&mut self, choice: usize, text: &str, emit: &mut Emit<'_>) {
        let Some(c) = self.at(choice) else { return };
        if !text.is_empty() {
            c.refusal.push_str(text);
            emit(Event::Refusal {
                choice: c.index,
                text,
            });
        }
    }

    /// Starts a call (every open call of the choice ends first); its position.
    pub(super) fn start_call(
        &mut self,
        choice: usize,
        key: Option<i128>,
        id: Option<&str>,
        name: &str,
        emit: &mut Emit<'_>,
    ) -> Result<usize, ParseError> {
        self.end_calls(choice, emit)?;
        let Some(c) = self.at(choice) else {
            return Ok(0);
        };
        let position = c.calls.len();
        c.calls.push(Call {
            key,
            position,
            id: id.map(str::to_owned),
            name: name.to_owned(),
            arguments: String::new(),
            fallback: None,
            ended: false,
        });
        emit(Event::ToolCallStart {
            choice: c.index,
            index: position,
            id,
            name,
        });
        Ok(position)
    }

    pub(super) fn arguments(
        &mut self,
        choice: usize,
        call: usize,
        fragment: &str,
        emit: &mut Emit<'_>,
    ) {
        let Some(c) = self.at(choice) else { return };
        let index = c.index;
        if let Some(call) = c.calls.get_mut(call) {
            if !fragment.is_empty() {
                call.arguments.push_str(fragment);
                emit(Event::ToolCallDelta {
                    choice: index,
                    index: call.position,
                    arguments: fragment,
                });
            }
        }
    }

    pub(super) fn end_call(
        &mut self,
        choice: usize,
        call: usize,
        emit: &mut Emit<'_>,
    ) -> Result<(), ParseError> {
        let Some(c) = self.at(choice) else {
            return Ok(());
        };
        let index = c.index;
        let Some(target) = c.calls.get_mut(call) else {
            return Ok(());
        };
        if target.ended {
            return Ok(());
        }
        if target.name.is_empty() {
            return Err(ParseError {
                message: format!("tool call {call} of choice {index} has no name"),
                path: None,
                offset: None,
                snippet: None,
            });
        }
        if target.arguments.is_empty() {
            if let Some(fallback) = target.fallback.take().filter(|f| f != "{}") {
                target.arguments = fallback;
                emit(Event::ToolCallDelta {
                    choice: index,
                    index: call,
                    arguments: &target.arguments,
                });
            }
        }
        target.ended = true;
        emit(Event::ToolCallEnd {
            choice: index,
            index: call,
            call: target,
        });
        Ok(())
    }

    pub(super) fn end_calls(
        &mut self,
        choice: usize,
        emit: &mut Emit<'_>,
    ) -> Result<(), ParseError> {
        let count = self.at(choice).map_or(0, |c| c.calls.len());
        for call in 0..count {
            self.end_call(choice, call, emit)?;
        }
        Ok(())
    }

    pub(super) fn end_all(&mut self, emit: &mut Emit<'_>) -> Result<(), ParseError> {
        for choice in 0..self.choices.len() {
            self.end_calls(choice, emit)?;
        }
        Ok(())
    }

    pub(super) fn finish(
        &mut self,
        choice: usize,
        native: Option<&str>,
        emit: &mut Emit<'_>,
    ) -> Result<(), ParseError> {
        self.finish_as(choice, native, None, emit)
    }

    /// `finish` with the canonical `reason` decided by the format (`None`: the shared table's).
    pub(super) fn finish_as(
        &mut self,
        choice: usize,
        native: Option<&str>,
        reason: Option<&'static str>,
        emit: &mut Emit<'_>,
    ) -> Result<(), ParseError> {
        let Some(native) = native.filter(|n| !n.is_empty()) else {
            return Ok(());
        };
        if self
            .at(choice)
            .is_none_or(|c| c.finish.as_deref() == Some(native) && c.reason == reason)
        {
            return Ok(());
        }
        self.end_calls(choice, emit)?;
        if let Some(c) = self.at(choice) {
            c.finish = Some(native.to_owned());
            c.reason = reason;
            emit(Event::Finish {
                choice: c.index,
                native,
                reason,
            });
        }
        Ok(())
    }

    pub(super) fn set_usage(&mut self, usage: Option<Usage>, emit: &mut Emit<'_>) {
        if let Some(usage) = usage {
            emit(Event::Usage(self.usage.insert(usage)));
        }
    }
}
