//! Anthropic Messages stream events (docs/stream-rules.md, section 4; the twin is
//! `modelwire/parsing/pure/stream_anthropic.py`), with the conventions of the non-streamed parser
//! (docs/parsing-rules-anthropic.md): one choice, text blocks joined with "", thinking texts with "\n",
//! input = uncached + cache reads + cache writes.

use std::borrow::Cow;

use crate::error::{Checked, Fault, ParseError, Path};
use crate::fields::{keep_first, opt_int, opt_object, opt_str, wrong};
use crate::json::{Kind, Reader, Syn};
use crate::sse::SseEvent;
use crate::usage::Usage;

use super::compact::compact;
use super::openai::open;
use super::state::{Emit, State, Thinking};
use super::{Flow, Format, fault_error, state_error, syntax_error};

type Text<'a> = Checked<Option<Cow<'a, str>>>;

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
    usage: [Option<i128>; 5],
}

impl Format for Messages {
    fn init(&mut self, state: &mut State) {
        state.choice(0);
    }

    fn event(
        &mut self,
        state: &mut State,
        event: &SseEvent,
        number: u64,
        emit: &mut Emit<'_>,
    ) -> Result<Flow, ParseError> {
        if event.event.as_deref() == Some("error") {
            return Ok(Flow::Error);
        }
        let data = event.data.as_str();
        if data.is_empty() {
            return Ok(Flow::Continue);
        }
        let mut r = open(data, number)?;
        let syntax = |e| syntax_error(number, &e, data);
        let read = read_event(&mut r).map_err(syntax)?;
        r.finish().map_err(syntax)?;
        let flow = self.fold(state, read, emit);
        flow.map_err(|failure| match failure {
            Failure::Fault(fault) => fault_error(number, fault),
            Failure::State(error) => state_error(number, error),
        })
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
        emit: &mut Emit<'_>,
    ) -> Result<Flow, Failure> {
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
                let block = required(read.block, "content_block", "an object")?;
                self.start(state, index, block, emit)?;
            }
            Some("content_block_stop") => {
                let index = required(read.index, "index", "an integer")?;
                self.stop(state, index, emit)?;
            }
            Some("message_start") => {
                if let Some(message) = read.message? {
                    let (id, model) = (message.id?, message.model?);
                    let blocks = message.content?;
                    let stop = message.stop?;
                    let usage = message.usage?;
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
                let stop = (delta.stop_reason.unwrap_or(Ok(None))?, delta.explanation?);
                let usage = read.usage?;
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
                think(state, at, block.text.as_deref(), emit);
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
            (Some("thinking_delta"), Target::Thinking(at)) => think(state, at, Some(piece), emit),
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
        let [uncached, cache_read, cache_write, output, thinking] = self.usage;
        // Anthropic counts cached prompt tokens apart from input_tokens; the canonical count includes them.
        let prompt = uncached.map(|u| u + cache_read.unwrap_or(0) + cache_write.unwrap_or(0));
        let usage = Usage {
            input_tokens: prompt,
            output_tokens: output,
            total_tokens: prompt.zip(output).map(|(p, o)| p + o),
            reasoning_tokens: thinking,
            cache_read_tokens: cache_read,
            cache_write_tokens: cache_write,
            generated_images: None,
        };
        state.set_usage(Some(usage), emit);
    }
}

/// Adds a piece of thinking text to block `at`, and to the reasoning (blocks joined with "\n").
fn think(state: &mut State, at: usize, piece: Option<&str>, emit: &mut Emit<'_>) {
    let Some(piece) = piece else { return };
    let Some(choice) = state.choices.first_mut() else {
        return;
    };
    let reasoning_so_far = !choice.reasoning.is_empty();
    let Some(thinking) = choice.thinking.get_mut(at) else {
        return;
    };
    thinking
        .text
        .get_or_insert_with(String::new)
        .push_str(piece);
    if piece.is_empty() {
        return;
    }
    let first = !thinking.told;
    thinking.told = true;
    if first && reasoning_so_far {
        state.reasoning(0, &format!("\n{piece}"), emit);
    } else {
        state.reasoning(0, piece, emit);
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

// --- reading -------------------------------------------------------------------------------------------

type Stop<'a> = (Option<Cow<'a, str>>, Option<Cow<'a, str>>);
type UsageRead<'a> = ([Option<i128>; 5], Option<Cow<'a, str>>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlockKind {
    Text,
    Thinking,
    Redacted,
    ToolUse,
    Other,
}

/// A content block as its type reads it: `text` holds the text, thinking or redacted data.
struct Block<'a> {
    kind: BlockKind,
    text: Option<Cow<'a, str>>,
    signature: Option<Cow<'a, str>>,
    id: Option<Cow<'a, str>>,
    name: Cow<'a, str>,
    arguments: Option<String>,
}

struct MessageRead<'a> {
    id: Text<'a>,
    model: Text<'a>,
    content: Checked<Vec<Block<'a>>>,
    stop: Checked<Stop<'a>>,
    usage: Checked<Option<UsageRead<'a>>>,
}

struct DeltaRead<'a> {
    kind: Text<'a>,
    text: Option<Text<'a>>,
    thinking: Option<Text<'a>>,
    signature: Option<Text<'a>>,
    partial_json: Option<Text<'a>>,
    stop_reason: Option<Text<'a>>,
    explanation: Text<'a>,
}

impl Default for DeltaRead<'_> {
    fn default() -> Self {
        Self {
            kind: Ok(None),
            text: None,
            thinking: None,
            signature: None,
            partial_json: None,
            stop_reason: None,
            explanation: Ok(None),
        }
    }
}

struct EventRead<'a> {
    kind: Text<'a>,
    index: Option<Checked<Option<i128>>>,
    block: Option<Checked<Option<Block<'a>>>>,
    delta: Checked<Option<DeltaRead<'a>>>,
    message: Checked<Option<MessageRead<'a>>>,
    usage: Checked<Option<UsageRead<'a>>>,
}

fn read_event<'a>(r: &mut Reader<'a>) -> Syn<EventRead<'a>> {
    let root = Path::ROOT;
    let mut read = EventRead {
        kind: Ok(None),
        index: None,
        block: None,
        delta: Ok(None),
        message: Ok(None),
        usage: Ok(None),
    };
    r.object(|r, key| {
        match &*key {
            "type" => read.kind = opt_str(r, &root.key("type"))?,
            "index" => read.index = Some(opt_int(r, &root.key("index"))?),
            "content_block" => {
                read.block = Some(read_block(r, &root.key("content_block"))?.map(Some))
            }
            "delta" => read.delta = read_delta(r, &root.key("delta"))?,
            "message" => read.message = read_message(r, &root.key("message"))?,
            "usage" => read.usage = read_usage(r, &root.key("usage"))?,
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok(read)
}

fn read_delta<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Option<DeltaRead<'a>>>> {
    let mut d = DeltaRead::default();
    let details_path = path.key("stop_details");
    let present = opt_object(r, path, |r, key| {
        match &*key {
            "type" => d.kind = opt_str(r, &path.key("type"))?,
            "text" => d.text = Some(opt_str(r, &path.key("text"))?),
            "thinking" => d.thinking = Some(opt_str(r, &path.key("thinking"))?),
            "signature" => d.signature = Some(opt_str(r, &path.key("signature"))?),
            "partial_json" => d.partial_json = Some(opt_str(r, &path.key("partial_json"))?),
            "stop_reason" => d.stop_reason = Some(opt_str(r, &path.key("stop_reason"))?),
            "stop_details" => d.explanation = explanation(r, &details_path)?,
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok(present.map(|present| present.then_some(d)))
}

/// `stop_details.explanation` (the object may be null).
fn explanation<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Text<'a>> {
    let mut text = Ok(None);
    let present = opt_object(r, path, |r, key| {
        if key == "explanation" {
            text = opt_str(r, &path.key("explanation"))?;
        } else {
            r.skip()?;
        }
        Ok(())
    })?;
    Ok(present.and(text))
}

fn read_message<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Option<MessageRead<'a>>>> {
    let mut m = MessageRead {
        id: Ok(None),
        model: Ok(None),
        content: Ok(Vec::new()),
        stop: Ok((None, None)),
        usage: Ok(None),
    };
    let (mut reason, mut details) = (Ok(None), Ok(None));
    let content_path = path.key("content");
    let present = opt_object(r, path, |r, key| {
        match &*key {
            "id" => m.id = opt_str(r, &path.key("id"))?,
            "model" => m.model = opt_str(r, &path.key("model"))?,
            "stop_reason" => reason = opt_str(r, &path.key("stop_reason"))?,
            "stop_details" => details = explanation(r, &path.key("stop_details"))?,
            "usage" => m.usage = read_usage(r, &path.key("usage"))?,
            "content" => {
                m.content = match r.kind()? {
                    Kind::Null => r.null().map(|_| Ok(Vec::new()))?,
                    Kind::Array => {
                        let (mut blocks, mut fault) = (Vec::new(), None);
                        r.array(|r, i| {
                            if let Some(block) =
                                keep_first(&mut fault, read_block(r, &content_path.index(i))?)
                            {
                                blocks.push(block);
                            }
                            Ok(())
                        })?;
                        fault.map_or(Ok(blocks), Err)
                    }
                    _ => Err(wrong(r, "an array", &content_path)?),
                }
            }
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok(present.and_then(|present| {
        if !present {
            return Ok(None);
        }
        m.stop = Ok((reason?, details?));
        Ok(Some(m))
    }))
}

fn read_block<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Block<'a>>> {
    if r.kind()? != Kind::Object {
        return Ok(Err(wrong(r, "an object", path)?));
    }
    let mut kind: Text<'a> = Ok(None);
    let mut slots: [Option<Text<'a>>; 6] = Default::default();
    const NAMES: [&str; 6] = ["text", "thinking", "signature", "data", "id", "name"];
    let mut input: Checked<Option<String>> = Ok(None);
    r.object(|r, key| {
        if key == "type" {
            kind = opt_str(r, &path.key("type"))?;
        } else if key == "input" {
            input = read_input(r, &path.key("input"))?;
        } else if let Some(i) = NAMES.iter().position(|n| *n == key) {
            let value = opt_str(r, &path.key(NAMES.get(i).copied().unwrap_or("")))?;
            if let Some(slot) = slots.get_mut(i) {
                *slot = Some(value);
            }
        } else {
            r.skip()?;
        }
        Ok(())
    })?;
    Ok((|| {
        let [text, thinking, signature, data, id, name] = slots;
        let text_of = |slot: Option<Text<'a>>| slot.unwrap_or(Ok(None));
        let mut block = Block {
            kind: BlockKind::Other,
            text: None,
            signature: None,
            id: None,
            name: Cow::Borrowed(""),
            arguments: None,
        };
        match kind?.as_deref() {
            Some("text") => {
                block.kind = BlockKind::Text;
                block.text = text_of(text)?;
            }
            Some("thinking") => {
                block.kind = BlockKind::Thinking;
                block.text = text_of(thinking)?;
                block.signature = text_of(signature)?;
            }
            Some("redacted_thinking") => {
                block.kind = BlockKind::Redacted;
                block.text = Some(required_in(data, path, "data")?);
            }
            Some("tool_use") => {
                block.kind = BlockKind::ToolUse;
                block.id = text_of(id)?.filter(|i| !i.is_empty());
                block.name = required_in(name, path, "name")?;
                block.arguments = input?;
            }
            _ => {}
        }
        Ok(block)
    })())
}

/// A required string member of a block.
fn required_in<'a>(
    slot: Option<Text<'a>>,
    path: &Path<'_>,
    key: &'static str,
) -> Checked<Cow<'a, str>> {
    match slot {
        None => Err(path.key(key).fault("missing required field")),
        Some(read) => read?.ok_or_else(|| path.key(key).fault("expected a string, got null")),
    }
}

/// A tool_use block's `input` (object or null), written as `orjson.dumps` writes it.
fn read_input(r: &mut Reader<'_>, path: &Path<'_>) -> Syn<Checked<Option<String>>> {
    Ok(match r.kind()? {
        Kind::Null => {
            r.null()?;
            Ok(None)
        }
        Kind::Object => match compact(r)? {
            Some(text) => Ok(Some(text)),
            None => Err(path.fault("input is nested too deeply to serialize")),
        },
        _ => Err(wrong(r, "an object", path)?),
    })
}

fn read_usage<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Option<UsageRead<'a>>>> {
    const NAMES: [&str; 4] = [
        "input_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
        "output_tokens",
    ];
    let mut counts: [Checked<Option<i128>>; 5] = [Ok(None), Ok(None), Ok(None), Ok(None), Ok(None)];
    let mut tier = Ok(None);
    let details_path = path.key("output_tokens_details");
    let present = opt_object(r, path, |r, key| {
        if let Some(i) = NAMES.iter().position(|n| *n == key) {
            let value = opt_int(r, &path.key(NAMES.get(i).copied().unwrap_or("")))?;
            if let Some(slot) = counts.get_mut(i) {
                *slot = value;
            }
        } else if key == "output_tokens_details" {
            let mut thinking = Ok(None);
            let read = opt_object(r, &details_path, |r, key| {
                if key == "thinking_tokens" {
                    thinking = opt_int(r, &details_path.key("thinking_tokens"))?;
                } else {
                    r.skip()?;
                }
                Ok(())
            })?;
            if let Some(slot) = counts.get_mut(4) {
                *slot = read.and(thinking);
            }
        } else if key == "service_tier" {
            tier = opt_str(r, &path.key("service_tier"))?;
        } else {
            r.skip()?;
        }
        Ok(())
    })?;
    Ok(present.and_then(|present| {
        if !present {
            return Ok(None);
        }
        let [a, b, c, d, e] = counts;
        Ok(Some(([a?, b?, c?, d?, e?], tier?)))
    }))
}
