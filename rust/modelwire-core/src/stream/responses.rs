//! OpenAI Responses API stream events (docs/stream-rules.md, section 5; the twin is
//! `modelwire/parsing/pure/stream_responses.py`), with the body parser's conventions
//! (docs/parsing-rules-responses.md): one choice; message items joined with "\n\n", as are reasoning
//! parts; `response.completed` / `response.incomplete` end the stream, `response.failed` is an error.

use std::borrow::Cow;

use crate::error::{Checked, Fault, ParseError, Path};
use crate::json::tree::{self, Object, Value};
use crate::json::{Reader, Syn};
use crate::responses::{
    ItemKind, PIECE_SEPARATOR, ReadItem, ResponseRead, finish_override, native_finish,
    output_items, read_item, read_response, usage,
};

use super::openai_read::open;
use super::state::{Emit, Reasoning, State};
use super::{Flow, Format, fault_error, state_error, syntax_error};

/// Container levels of an event the rules read: `item.content[j].text` is three down.
const LEVELS: usize = 3;

/// A piece of text an event carries, and where it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    Text,
    Refusal,
    Summary,
    Content,
}

impl Piece {
    fn of(kind: &str) -> Option<(Self, &'static str)> {
        Some(match kind {
            "response.output_text.delta" => (Self::Text, "content_index"),
            "response.refusal.delta" => (Self::Refusal, "content_index"),
            "response.reasoning_summary_text.delta" => (Self::Summary, "summary_index"),
            "response.reasoning_text.delta" => (Self::Content, "content_index"),
            _ => return None,
        })
    }

    fn reasoning(self) -> bool {
        matches!(self, Self::Summary | Self::Content)
    }
}

/// An output item of the stream, by `output_index`.
#[derive(Debug, Clone)]
struct Item {
    kind: ItemKind,
    /// A delta came for it: its done item adds no text.
    streamed: bool,
    /// Which of its pieces have had text (text and refusal: part 0).
    told: Vec<(Piece, i128)>,
    /// Its position in the choice's tool calls.
    call: Option<usize>,
    /// Its position in the choice's reasoning items.
    reasoning: Option<usize>,
}

/// The Responses event format: the output items announced so far.
#[derive(Debug, Default, Clone)]
pub struct Responses {
    items: Vec<(i128, Item)>,
}

/// An event as read: its members (each a small tree) and its `response`, if any.
struct EventRead<'a> {
    members: Value<'a>,
    response: Option<ResponseRead<'a>>,
}

fn read_event<'a>(r: &mut Reader<'a>) -> Syn<EventRead<'a>> {
    let mut members = Vec::new();
    let mut response = None;
    r.object(|r, key| {
        if key == "response" {
            response = Some(read_response(r)?);
        } else {
            members.push((key, tree::read(r, LEVELS)?));
        }
        Ok(())
    })?;
    Ok(EventRead {
        members: Value::Object(members),
        response,
    })
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

impl Format for Responses {
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
        let read = read_event(&mut r).map_err(syntax)?;
        r.finish().map_err(syntax)?;
        self.fold(state, &read, emit)
            .map_err(|failure| match failure {
                Failure::Fault(fault) => fault_error(number, fault),
                Failure::State(error) => state_error(number, error),
            })
    }
}

const META: [&str; 3] = [
    "response.created",
    "response.in_progress",
    "response.queued",
];

impl Responses {
    fn fold(
        &mut self,
        state: &mut State,
        read: &EventRead<'_>,
        emit: &mut Emit<'_>,
    ) -> Result<Flow, Failure> {
        let root = Path::ROOT;
        let event = Object(&read.members);
        let kind = event.opt_str("type", &root)?.map(AsRef::as_ref);
        let Some(kind) = kind else {
            return Ok(Flow::Continue);
        };
        if let Some((piece, slot)) = Piece::of(kind) {
            let index = event.required_int("output_index", &root)?;
            let part = event.opt_int(slot, &root)?.unwrap_or(0);
            if let Some(text) = event.opt_str("delta", &root)?.filter(|t| !t.is_empty()) {
                self.piece(state, index, piece, part, text, true, emit)?;
            }
            return Ok(Flow::Continue);
        }
        match kind {
            "response.function_call_arguments.delta" => {
                let index = event.required_int("output_index", &root)?;
                let fragment = event.opt_str("delta", &root)?;
                let call = self.call(state, index)?;
                if let Some(fragment) = fragment.filter(|f| !f.is_empty()) {
                    if let Some(item) = self.item_mut(index) {
                        item.streamed = true;
                    }
                    state.arguments(0, call, fragment, emit);
                }
            }
            "response.function_call_arguments.done" => {
                let index = event.required_int("output_index", &root)?;
                let arguments = event.opt_str("arguments", &root)?;
                let call = self.call(state, index)?;
                set_fallback(state, call, arguments.map(AsRef::as_ref));
            }
            "response.output_item.added" | "response.output_item.done" => {
                let index = event.required_int("output_index", &root)?;
                let item = event.required_object("item", &root)?;
                let read = read_item(item.0, &root.key("item"))?;
                if kind == "response.output_item.added" {
                    self.added(state, index, &read, emit)?;
                } else {
                    self.done(state, index, &read, emit)?;
                }
            }
            _ if META.contains(&kind) => {
                if let Some(response) = &read.response {
                    if !response.tree.is_null() {
                        let response = Object::of(&response.tree, &root.key("response"))?;
                        identify(state, &response)?;
                    }
                }
            }
            "response.completed" | "response.incomplete" => {
                let Some(response) = &read.response else {
                    return Err(root.key("response").fault("missing required field").into());
                };
                self.terminal(state, response, emit)?;
                return Ok(Flow::Done);
            }
            "response.failed" | "error" => return Ok(Flow::Error),
            _ => {}
        }
        Ok(Flow::Continue)
    }

    fn item_mut(&mut self, index: i128) -> Option<&mut Item> {
        self.items
            .iter_mut()
            .find(|(i, _)| *i == index)
            .map(|(_, item)| item)
    }

    /// The position of the call at `index`, which must have started and not ended.
    fn call(&mut self, state: &State, index: i128) -> Checked<usize> {
        let call = self.item_mut(index).and_then(|item| item.call);
        let open = |at: usize| state.choices.first().and_then(|c| c.calls.get(at));
        match call {
            Some(at) if open(at).is_some_and(|c| !c.ended) => Ok(at),
            _ => Err(Path::ROOT.key("output_index").fault(format!(
                "output item {index} is not a function call in progress"
            ))),
        }
    }

    fn added(
        &mut self,
        state: &mut State,
        index: i128,
        read: &ReadItem<'_>,
        emit: &mut Emit<'_>,
    ) -> Result<(), ParseError> {
        let mut item = Item {
            kind: read.kind,
            streamed: false,
            told: Vec::new(),
            call: None,
            reasoning: None,
        };
        match read.kind {
            ItemKind::FunctionCall => {
                let call =
                    state.start_call(0, Some(index), read.call_id.as_deref(), &read.name, emit)?;
                set_fallback(state, call, read.arguments.as_deref());
                item.call = Some(call);
            }
            ItemKind::Reasoning => {
                if let Some(choice) = state.choices.first_mut() {
                    choice.items.push(Reasoning {
                        id: read.id.as_deref().map(str::to_owned),
                        encrypted_content: read.encrypted.as_deref().map(str::to_owned),
                        ..Reasoning::default()
                    });
                    item.reasoning = Some(choice.items.len() - 1);
                }
            }
            ItemKind::Message | ItemKind::Other => {}
        }
        match self.item_mut(index) {
            Some(slot) => *slot = item,
            None => self.items.push((index, item)),
        }
        Ok(())
    }

    fn done(
        &mut self,
        state: &mut State,
        index: i128,
        read: &ReadItem<'_>,
        emit: &mut Emit<'_>,
    ) -> Result<(), Failure> {
        if self
            .item_mut(index)
            .is_none_or(|item| item.kind != read.kind)
        {
            self.added(state, index, read, emit)?;
        }
        let Some(item) = self.item_mut(index).cloned() else {
            return Ok(());
        };
        match read.kind {
            ItemKind::Message if !item.streamed => {
                let text = read.text.concat();
                self.whole(state, index, Piece::Text, &[text.as_str()], emit)?;
                let refusal = read.refusal.concat();
                self.whole(state, index, Piece::Refusal, &[refusal.as_str()], emit)?;
            }
            ItemKind::FunctionCall => {
                if let Some(call) = item.call {
                    set_fallback(state, call, read.arguments.as_deref());
                    state.end_call(0, call, emit)?;
                }
            }
            ItemKind::Reasoning => {
                if let Some(at) = item.reasoning {
                    if !item.streamed {
                        let content: Vec<&str> = read.content.iter().map(AsRef::as_ref).collect();
                        self.whole(state, index, Piece::Content, &content, emit)?;
                        let summary: Vec<&str> = read.summary.iter().map(AsRef::as_ref).collect();
                        self.whole(state, index, Piece::Summary, &summary, emit)?;
                    }
                    keep(state, at, read);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The texts of an item that came whole (no deltas), as if each had been one delta.
    fn whole(
        &mut self,
        state: &mut State,
        index: i128,
        piece: Piece,
        texts: &[&str],
        emit: &mut Emit<'_>,
    ) -> Result<(), Failure> {
        for (part, text) in texts.iter().enumerate() {
            self.piece(state, index, piece, part as i128, text, false, emit)?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn piece(
        &mut self,
        state: &mut State,
        index: i128,
        piece: Piece,
        part: i128,
        text: &str,
        streamed: bool,
        emit: &mut Emit<'_>,
    ) -> Result<(), Failure> {
        let known = self.item_mut(index).map(|item| item.reasoning);
        if piece.reasoning() && !matches!(known, Some(None)) {
            let have = match known.flatten() {
                Some(at) => parts_len(state, at, piece),
                None => 0,
            };
            if part < 0 || part > have as i128 {
                let slot = if piece == Piece::Summary {
                    "summary_index"
                } else {
                    "content_index"
                };
                return Err(Path::ROOT
                    .key(slot)
                    .fault(format!(
                        "part {part} of output item {index} comes out of order"
                    ))
                    .into());
            }
        }
        if known.is_none() {
            let kind = if piece.reasoning() {
                ItemKind::Reasoning
            } else {
                ItemKind::Message
            };
            self.added(state, index, &ReadItem::new(kind), emit)?;
        }
        let Some(item) = self.item_mut(index) else {
            return Ok(());
        };
        if streamed {
            item.streamed = true;
        }
        if let (true, Some(at)) = (piece.reasoning(), item.reasoning) {
            let kept = state.choices.first_mut().and_then(|c| c.items.get_mut(at));
            if let Some(kept) = kept {
                let texts = if piece == Piece::Summary {
                    &mut kept.summary
                } else {
                    &mut kept.content
                };
                let position = usize::try_from(part).unwrap_or(usize::MAX);
                if position == texts.len() {
                    texts.push(String::new());
                }
                if let Some(slot) = texts.get_mut(position) {
                    slot.push_str(text);
                }
            }
        }
        if text.is_empty() {
            return Ok(());
        }
        let key = (piece, if piece.reasoning() { part } else { 0 });
        let Some(choice) = state.choices.first() else {
            return Ok(());
        };
        let so_far = match piece {
            Piece::Text => choice.content.as_deref().is_some_and(|c| !c.is_empty()),
            Piece::Refusal => !choice.refusal.is_empty(),
            Piece::Summary | Piece::Content => !choice.reasoning.is_empty(),
        };
        let first = !item.told.contains(&key);
        if first {
            item.told.push(key);
        }
        let text: Cow<'_, str> = if first && so_far {
            Cow::Owned(format!("{PIECE_SEPARATOR}{text}"))
        } else {
            Cow::Borrowed(text)
        };
        match piece {
            Piece::Text => state.text(0, &text, emit),
            Piece::Refusal => state.refusal(0, &text, emit),
            Piece::Summary | Piece::Content => state.reasoning(0, &text, emit),
        }
        Ok(())
    }

    fn terminal(
        &mut self,
        state: &mut State,
        read: &ResponseRead<'_>,
        emit: &mut Emit<'_>,
    ) -> Result<(), Failure> {
        let path = Path::ROOT.key("response");
        let response = Object::of(&read.tree, &path)?;
        let items = output_items(&response, &path)?;
        let native = native_finish(&response, &path)?;
        let usage = usage(read.usage, &path.key("usage"))??;
        identify(state, &response)?;
        for (index, read) in items.iter().enumerate() {
            let index = index as i128;
            match self.item_mut(index) {
                // An item the stream never announced: it came whole.
                None => self.done(state, index, read, emit)?,
                Some(item) => {
                    if let (ItemKind::Reasoning, Some(at)) = (read.kind, item.reasoning) {
                        // The final encryption is the one to send back.
                        keep(state, at, read);
                    }
                }
            }
        }
        state.end_all(emit)?;
        state.set_usage(usage, emit);
        let has_calls = state.choices.first().is_some_and(|c| !c.calls.is_empty());
        let native = native.map(AsRef::as_ref);
        state.finish_as(0, native, finish_override(native, has_calls), emit)?;
        Ok(())
    }
}

/// A call's arguments when no fragment came (or will come): the whole string, if not empty, until the
/// call has ended.
fn set_fallback(state: &mut State, call: usize, arguments: Option<&str>) {
    let Some(arguments) = arguments.filter(|a| !a.is_empty()) else {
        return;
    };
    let target = state
        .choices
        .first_mut()
        .and_then(|c| c.calls.get_mut(call));
    if let Some(target) = target {
        if target.arguments.is_empty() && !target.ended {
            target.fallback = Some(arguments.to_owned());
        }
    }
}

/// The id and encrypted content of a reasoning item, as the latest item read has them.
fn keep(state: &mut State, at: usize, read: &ReadItem<'_>) {
    let Some(kept) = state.choices.first_mut().and_then(|c| c.items.get_mut(at)) else {
        return;
    };
    if let Some(id) = &read.id {
        kept.id = Some(id.to_string());
    }
    if let Some(encrypted) = &read.encrypted {
        kept.encrypted_content = Some(encrypted.to_string());
    }
}

fn parts_len(state: &State, at: usize, piece: Piece) -> usize {
    let kept = state.choices.first().and_then(|c| c.items.get(at));
    kept.map_or(0, |kept| match piece {
        Piece::Summary => kept.summary.len(),
        _ => kept.content.len(),
    })
}

/// The response's id, model, creation time and service tier (the first non-empty values stay).
fn identify(state: &mut State, response: &Object<'_, '_>) -> Checked<()> {
    let path = Path::ROOT.key("response");
    let id = response.opt_str("id", &path)?;
    let model = response.opt_str("model", &path)?;
    let created = response.opt_whole("created_at", &path)?;
    let tier = response.opt_str("service_tier", &path)?;
    state.identify(id.map(AsRef::as_ref), model.map(AsRef::as_ref));
    state.describe(None, tier.map(AsRef::as_ref), created);
    Ok(())
}
