//! Reading an Anthropic event into checked values (nothing is applied here). Every member an event
//! type may read is read into a slot (the last of a repeated key wins); the fold unwraps the slots its
//! type calls for, so a member that type does not read is never a fault.

use std::borrow::Cow;

use crate::anthropic::TtlSplit;
use crate::error::{Checked, Path};
use crate::fields::{keep_first, lax, opt_int, opt_object, opt_str, wrong};
use crate::json::{Kind, Reader, Syn};

use super::compact::compact;

type Text<'a> = Checked<Option<Cow<'a, str>>>;

pub(super) type Stop<'a> = (Option<Cow<'a, str>>, Option<Cow<'a, str>>);
pub(super) type UsageRead<'a> = ([Option<i128>; 7], Option<Cow<'a, str>>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BlockKind {
    Text,
    Thinking,
    Redacted,
    ToolUse,
    Other,
}

/// A content block as its type reads it: `text` holds the text, thinking or redacted data.
pub(super) struct Block<'a> {
    pub(super) kind: BlockKind,
    pub(super) text: Option<Cow<'a, str>>,
    pub(super) signature: Option<Cow<'a, str>>,
    pub(super) id: Option<Cow<'a, str>>,
    pub(super) name: Cow<'a, str>,
    pub(super) arguments: Option<String>,
    /// The block's optional members left out (a tool_use `id`).
    pub(super) skipped: Vec<String>,
}

/// Usage as read leniently, with the paths left out.
pub(super) type LaxUsage<'a> = (Option<UsageRead<'a>>, Vec<String>);

/// `stop_details`: the object's own fault (outer), its `explanation` (inner).
pub(super) type Explanation<'a> = Checked<Text<'a>>;

pub(super) struct MessageRead<'a> {
    pub(super) id: Text<'a>,
    pub(super) model: Text<'a>,
    pub(super) content: Checked<Vec<Block<'a>>>,
    pub(super) reason: Text<'a>,
    pub(super) explanation: Explanation<'a>,
    pub(super) usage: LaxUsage<'a>,
}

pub(super) struct DeltaRead<'a> {
    pub(super) kind: Text<'a>,
    pub(super) text: Option<Text<'a>>,
    pub(super) thinking: Option<Text<'a>>,
    pub(super) signature: Option<Text<'a>>,
    pub(super) partial_json: Option<Text<'a>>,
    pub(super) stop_reason: Option<Text<'a>>,
    pub(super) explanation: Explanation<'a>,
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
            explanation: Ok(Ok(None)),
        }
    }
}

/// One event as read. The members only one event of a stream carries (`message_start`'s message, the
/// final usage) are boxed: this struct is moved a few times per event, and unboxed they made it nearly
/// 1 KB, whose copies cost a tenth of folding the small text deltas that make up most of a stream.
pub(super) struct EventRead<'a> {
    pub(super) kind: Text<'a>,
    pub(super) index: Option<Checked<Option<i128>>>,
    pub(super) block: Option<Checked<Option<Block<'a>>>>,
    pub(super) delta: Checked<Option<DeltaRead<'a>>>,
    pub(super) message: Checked<Option<Box<MessageRead<'a>>>>,
    pub(super) usage: Option<Box<LaxUsage<'a>>>,
}

impl Default for EventRead<'_> {
    fn default() -> Self {
        Self {
            kind: Ok(None),
            index: None,
            block: None,
            delta: Ok(None),
            message: Ok(None),
            usage: None,
        }
    }
}

/// Reads an event into `read` (a default one): filled in place, since returning it by value copied
/// it again at every `?` and `map_err` on the way out.
pub(super) fn read_event<'a>(r: &mut Reader<'a>, read: &mut EventRead<'a>) -> Syn<()> {
    let root = Path::ROOT;
    r.object(|r, key| {
        match &*key {
            "type" => read.kind = opt_str(r, &root.key("type"))?,
            "index" => read.index = Some(opt_int(r, &root.key("index"))?),
            "content_block" => {
                read.block = Some(read_block(r, &root.key("content_block"))?.map(Some))
            }
            "delta" => read.delta = read_delta(r, &root.key("delta"))?,
            "message" => {
                read.message = read_message(r, &root.key("message"))?.map(|m| m.map(Box::new))
            }
            "usage" => read.usage = Some(Box::new(read_usage(r, &root.key("usage"))?)),
            _ => r.skip()?,
        }
        Ok(())
    })
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
fn explanation<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Explanation<'a>> {
    let mut text = Ok(None);
    let present = opt_object(r, path, |r, key| {
        if key == "explanation" {
            text = opt_str(r, &path.key("explanation"))?;
        } else {
            r.skip()?;
        }
        Ok(())
    })?;
    Ok(present.map(|_| text))
}

/// A stop reason and its explanation, optional both: what cannot be read is left out and recorded.
pub(super) fn stop<'a>(
    reason: Text<'a>,
    explanation: Explanation<'a>,
    path: &Path<'_>,
    skipped: &mut Vec<String>,
) -> Stop<'a> {
    let reason = lax(reason, &path.key("stop_reason"), skipped);
    let details = path.key("stop_details");
    let explanation = match explanation {
        Ok(text) => lax(text, &details.key("explanation"), skipped),
        Err(_) => {
            skipped.push(details.render());
            None
        }
    };
    (reason, explanation)
}

fn read_message<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Option<MessageRead<'a>>>> {
    let mut m = MessageRead {
        id: Ok(None),
        model: Ok(None),
        content: Ok(Vec::new()),
        reason: Ok(None),
        explanation: Ok(Ok(None)),
        usage: (None, Vec::new()),
    };
    let content_path = path.key("content");
    let present = opt_object(r, path, |r, key| {
        match &*key {
            "id" => m.id = opt_str(r, &path.key("id"))?,
            "model" => m.model = opt_str(r, &path.key("model"))?,
            "stop_reason" => m.reason = opt_str(r, &path.key("stop_reason"))?,
            "stop_details" => m.explanation = explanation(r, &path.key("stop_details"))?,
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
    Ok(present.map(|present| present.then_some(m)))
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
            skipped: Vec::new(),
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
                let id = lax(text_of(id), &path.key("id"), &mut block.skipped);
                block.id = id.filter(|i| !i.is_empty());
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

/// `usage`, optional throughout: a value that is not an object, a count that is not an integer, a
/// `output_tokens_details` that is not an object, a `service_tier` that is not a string are left out.
fn read_usage<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<LaxUsage<'a>> {
    const NAMES: [&str; 4] = [
        "input_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
        "output_tokens",
    ];
    let mut skipped = Vec::new();
    if !matches!(r.kind()?, Kind::Object | Kind::Null) {
        r.skip()?;
        skipped.push(path.render());
        return Ok((None, skipped));
    }
    let mut counts: [Checked<Option<i128>>; 4] = [Ok(None), Ok(None), Ok(None), Ok(None)];
    let (mut details, mut thinking, mut tier) = (Ok(false), Ok(None), Ok(None));
    let mut ttl = TtlSplit::default();
    let details_path = path.key("output_tokens_details");
    let present = opt_object(r, path, |r, key| {
        if let Some(i) = NAMES.iter().position(|n| *n == key) {
            let value = opt_int(r, &path.key(NAMES.get(i).copied().unwrap_or("")))?;
            if let Some(slot) = counts.get_mut(i) {
                *slot = value;
            }
        } else if key == "output_tokens_details" {
            thinking = Ok(None);
            details = opt_object(r, &details_path, |r, key| {
                if key == "thinking_tokens" {
                    thinking = opt_int(r, &details_path.key("thinking_tokens"))?;
                } else {
                    r.skip()?;
                }
                Ok(())
            })?;
        } else if key == "cache_creation" {
            ttl = TtlSplit::read(r, &path.key("cache_creation"))?;
        } else if key == "service_tier" {
            tier = opt_str(r, &path.key("service_tier"))?;
        } else {
            r.skip()?;
        }
        Ok(())
    })?;
    if !matches!(present, Ok(true)) {
        return Ok((None, skipped));
    }
    let mut read = [None; 7];
    for ((slot, count), name) in read.iter_mut().zip(counts).zip(NAMES) {
        *slot = lax(count, &path.key(name), &mut skipped);
    }
    let thinking = match details {
        Ok(_) => lax(thinking, &details_path.key("thinking_tokens"), &mut skipped),
        Err(_) => {
            skipped.push(details_path.render());
            None
        }
    };
    if let Some(slot) = read.get_mut(4) {
        *slot = thinking;
    }
    let (write_5m, write_1h) = ttl.finish(&path.key("cache_creation"), &mut skipped);
    if let Some(slot) = read.get_mut(5) {
        *slot = write_5m;
    }
    if let Some(slot) = read.get_mut(6) {
        *slot = write_1h;
    }
    let tier = lax(tier, &path.key("service_tier"), &mut skipped);
    Ok((Some((read, tier)), skipped))
}
