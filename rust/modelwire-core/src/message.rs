//! An assistant message of an OpenAI-format chat completion (docs/parsing-rules.md, section 3).
//!
//! Every member is read into a slot holding its value or its fault; a later duplicate key replaces
//! the slot, and the message is assembled (faults surfacing) only once the object is closed.

use std::borrow::Cow;

use crate::error::{Checked, Fault, Path};
use crate::fields::{keep_first, lax, opt_array, opt_object, opt_str, wrong};
use crate::json::{Kind, Reader, Syn};
use crate::media::{Image, image_from_base64, image_from_url};

mod tool_calls;

pub(crate) use tool_calls::written;
use tool_calls::{Function, function, tool_calls};

/// A tool call's arguments: the string as sent, or the byte range of an object sent instead with the
/// text `orjson.dumps` writes for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arguments<'a> {
    Text(Cow<'a, str>),
    Written {
        start: usize,
        end: usize,
        json: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall<'a> {
    /// `None` when the provider sent none (or ""): the binding generates one.
    pub id: Option<Cow<'a, str>>,
    pub name: Cow<'a, str>,
    pub arguments: Arguments<'a>,
}

/// A reasoning block to send back verbatim: visible text and signature, or redacted data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThinkingBlock<'a> {
    pub thinking: Option<Cow<'a, str>>,
    pub signature: Option<Cow<'a, str>>,
    pub redacted_data: Option<Cow<'a, str>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message<'a> {
    pub content: Option<Cow<'a, str>>,
    pub reasoning: Option<Cow<'a, str>>,
    pub refusal: Option<Cow<'a, str>>,
    pub tool_calls: Vec<ToolCall<'a>>,
    pub images: Vec<Image<'a>>,
    pub thinking_blocks: Vec<ThinkingBlock<'a>>,
    /// Paths of optional members of this message (and of its choice) that could not be read.
    pub skipped: Vec<String>,
}

type Text<'a> = Checked<Option<Cow<'a, str>>>;

/// A text member as read (absent reads as null).
pub fn text_slot<'a>(slot: Option<Text<'a>>) -> Text<'a> {
    slot.unwrap_or(Ok(None))
}

/// The pieces joined with `separator`; `None` when there is none.
pub fn join<'a>(parts: Vec<Cow<'a, str>>, separator: &str) -> Option<Cow<'a, str>> {
    match parts.len() {
        0 => None,
        1 => parts.into_iter().next(),
        _ => Some(Cow::Owned(parts.join(separator))),
    }
}

pub fn non_empty(text: Option<Cow<'_, str>>) -> Option<Cow<'_, str>> {
    text.filter(|t| !t.is_empty())
}

/// The parts of a `content` array: joined text, thinking texts, images.
#[derive(Default)]
struct Blocks<'a> {
    text: Option<Cow<'a, str>>,
    thinking: Vec<Cow<'a, str>>,
    images: Vec<Image<'a>>,
}

/// Reads the members of one object (or null: `None`) into named text slots; members not named are
/// offered to `other`, which reads them (true) or leaves them to be skipped (false).
fn text_members<'a, const N: usize>(
    r: &mut Reader<'a>,
    path: &Path<'_>,
    names: [&'static str; N],
    mut other: impl FnMut(&mut Reader<'a>, &str) -> Syn<bool>,
) -> Syn<Checked<Option<[Option<Text<'a>>; N]>>> {
    let mut slots: [Option<Text<'a>>; N] = std::array::from_fn(|_| None);
    let present = opt_object(r, path, |r, key| {
        if let Some((i, name)) = names.iter().enumerate().find(|(_, n)| **n == key) {
            let value = opt_str(r, &path.key(name))?;
            if let Some(slot) = slots.get_mut(i) {
                *slot = Some(value);
            }
        } else if !other(r, &key)? {
            r.skip()?;
        }
        Ok(())
    })?;
    Ok(present.map(|present| present.then_some(slots)))
}

/// An object (not null) required at `path`.
fn object_or_fault(r: &mut Reader<'_>, path: &Path<'_>) -> Syn<Option<Fault>> {
    Ok(if r.kind()? == Kind::Object {
        None
    } else {
        Some(wrong(r, "an object", path)?)
    })
}

/// `image_url` (object with `url`, or string), else `url`: the image an entry or block refers to.
fn image_ref<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Option<Image<'a>>>> {
    if let Some(fault) = object_or_fault(r, path)? {
        return Ok(Err(fault));
    }
    let mut reference: Option<Text<'a>> = None;
    let ref_path = path.key("image_url");
    let slots = text_members(r, path, ["url", "b64_json"], |r, key| {
        if key != "image_url" {
            return Ok(false);
        }
        reference = Some(match r.kind()? {
            Kind::Object => text_members(r, &ref_path, ["url"], |_, _| Ok(false))?
                .and_then(|slots| slots.map_or(Ok(None), |[url]| text_slot(url))),
            Kind::String => Ok(Some(r.string()?)),
            Kind::Null => {
                r.null()?;
                Ok(None)
            }
            _ => Err(wrong(r, "a string or an object", &ref_path)?),
        });
        Ok(true)
    })?;
    Ok((|| {
        let [url, b64_json] = slots?.unwrap_or_default();
        // `b64_json` (raw base64), when present, is the image; the other members are not read then.
        if let Some(data) = text_slot(b64_json)? {
            return Ok(Some(image_from_base64(data)));
        }
        let url = text_slot(url)?;
        let chosen = match reference {
            None => url,
            Some(reference) => reference?,
        };
        Ok(chosen.map(image_from_url))
    })())
}

fn thinking_texts<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Vec<Cow<'a, str>>>> {
    let mut thinking: Option<Checked<Vec<Cow<'a, str>>>> = None;
    let thinking_path = path.key("thinking");
    let slots = text_members(r, path, ["text"], |r, key| {
        if key != "thinking" {
            return Ok(false);
        }
        thinking = Some(match r.kind()? {
            Kind::String => Ok(vec![r.string()?]),
            Kind::Null => {
                r.null()?;
                Ok(Vec::new())
            }
            Kind::Array => {
                let (mut texts, mut fault) = (Vec::new(), None);
                r.array(|r, k| {
                    let item = thinking_path.index(k);
                    let read = match object_or_fault(r, &item)? {
                        Some(f) => Err(f),
                        None => text_members(r, &item, ["text"], |_, _| Ok(false))?
                            .and_then(|slots| slots.map_or(Ok(None), |[t]| text_slot(t))),
                    };
                    if let Some(Some(text)) = keep_first(&mut fault, read) {
                        texts.push(text);
                    }
                    Ok(())
                })?;
                fault.map_or(Ok(texts), Err)
            }
            _ => Err(wrong(r, "a string or an array", &thinking_path)?),
        });
        Ok(true)
    })?;
    Ok((|| {
        let [text] = slots?.unwrap_or_default();
        let text = text_slot(text)?;
        match thinking {
            Some(thinking) => thinking,
            None => Ok(text.into_iter().collect()),
        }
    })())
}

fn content_blocks<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Blocks<'a>>> {
    let (mut blocks, mut texts, mut fault) = (Blocks::default(), Vec::new(), None);
    r.array(|r, j| {
        let block_path = path.index(j);
        if let Some(f) = object_or_fault(r, &block_path)? {
            keep_first::<()>(&mut fault, Err(f));
            return Ok(());
        }
        // The block is read once; which members count depends on its type, known only at the end.
        let start = r.offset();
        let kind = text_members(r, &block_path, ["type", "text"], |r, _| {
            r.skip().map(|()| true)
        })?;
        let end = r.offset();
        let read = kind.and_then(|slots| {
            let [kind, text] = slots.unwrap_or_default();
            Ok((text_slot(kind)?, text))
        });
        let Some((kind, text)) = keep_first(&mut fault, read) else {
            return Ok(());
        };
        // Re-read the block (already checked) for the members its type calls for.
        let mut again = Reader::over(r.text_between(start, end));
        match kind.as_deref() {
            None | Some("text" | "output_text") => {
                if let Some(Some(t)) = keep_first(&mut fault, text_slot(text)) {
                    texts.push(t);
                }
            }
            Some("thinking" | "reasoning") => {
                if let Some(more) = keep_first(&mut fault, thinking_texts(&mut again, &block_path)?)
                {
                    blocks.thinking.extend(more);
                }
            }
            Some("image_url") => {
                if let Some(Some(image)) =
                    keep_first(&mut fault, image_ref(&mut again, &block_path)?)
                {
                    blocks.images.push(image);
                }
            }
            Some(_) => {}
        }
        Ok(())
    })?;
    blocks.text = join(texts, "\n");
    Ok(fault.map_or(Ok(blocks), Err))
}

/// `reasoning_details`: texts of `reasoning.text` entries and summaries of `reasoning.summary` ones.
fn reasoning_details<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Vec<Cow<'a, str>>>> {
    let (mut texts, mut fault) = (Vec::new(), None);
    let read = opt_array(r, path, |r, j| {
        let entry = path.index(j);
        if let Some(f) = object_or_fault(r, &entry)? {
            keep_first::<()>(&mut fault, Err(f));
            return Ok(());
        }
        let slots = text_members(r, &entry, ["type", "text", "summary"], |_, _| Ok(false))?;
        let text = slots.and_then(|slots| {
            let [kind, text, summary] = slots.unwrap_or_default();
            match text_slot(kind)?.as_deref() {
                Some("reasoning.text") => text_slot(text),
                Some("reasoning.summary") => text_slot(summary),
                _ => Ok(None),
            }
        });
        if let Some(Some(text)) = keep_first(&mut fault, text) {
            texts.push(text);
        }
        Ok(())
    })?;
    Ok(read.and_then(|()| fault.map_or(Ok(texts), Err)))
}

/// `message.images`: every entry is optional, so one that cannot be read is left out and its path
/// recorded; the whole member is a fault (for the caller to leave out) only when it is not an array.
fn images<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<(Vec<Image<'a>>, Vec<String>)>> {
    let (mut list, mut skipped) = (Vec::new(), Vec::new());
    let read = opt_array(r, path, |r, j| {
        let at = path.index(j);
        match image_ref(r, &at)? {
            Ok(Some(image)) => list.push(image),
            Ok(None) => {}
            Err(_) => skipped.push(at.render()),
        }
        Ok(())
    })?;
    Ok(read.map(|()| (list, skipped)))
}

/// A required member: absent, null and the wrong type are all faults.
pub fn required<T>(slot: Option<Checked<Option<T>>>, path: &Path<'_>, what: &str) -> Checked<T> {
    match slot {
        None => Err(path.fault("missing required field")),
        Some(read) => read?.ok_or_else(|| path.fault(format!("expected {what}, got null"))),
    }
}

enum Content<'a> {
    Text(Option<Cow<'a, str>>),
    Blocks(Blocks<'a>),
}

/// Reads a message object (or null: `None`) at `path`.
pub fn message<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Option<Message<'a>>>> {
    let mut content: Option<Checked<Content<'a>>> = None;
    let mut details = None;
    let mut calls = None;
    let mut pictures = None;
    let mut legacy = None;
    let content_path = path.key("content");
    let names = ["reasoning", "reasoning_content", "refusal"];
    let slots = text_members(r, path, names, |r, key| {
        match key {
            "content" => {
                content = Some(match r.kind()? {
                    Kind::String => Ok(Content::Text(Some(r.string()?))),
                    Kind::Null => r.null().map(|_| Ok(Content::Text(None)))?,
                    Kind::Array => content_blocks(r, &content_path)?.map(Content::Blocks),
                    _ => Err(wrong(r, "a string or an array", &content_path)?),
                });
            }
            "reasoning_details" => {
                details = Some(reasoning_details(r, &path.key("reasoning_details"))?)
            }
            "tool_calls" => calls = Some(tool_calls(r, &path.key("tool_calls"))?),
            "images" => pictures = Some(images(r, &path.key("images"))?),
            "function_call" => legacy = Some(function(r, &path.key("function_call"))?),
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok((|| {
        let Some([reasoning, reasoning_content, refusal]) = slots? else {
            return Ok(None);
        };
        let mut skipped = Vec::new();
        let (content, blocks) = match content.unwrap_or(Ok(Content::Text(None)))? {
            Content::Text(text) => (text, Blocks::default()),
            Content::Blocks(mut blocks) => (blocks.text.take(), blocks),
        };
        let lax_text = |slot, name, skipped: &mut Vec<String>| {
            non_empty(lax(text_slot(slot), &path.key(name), skipped))
        };
        let reasoning = lax_text(reasoning, "reasoning", &mut skipped);
        let reasoning_content = lax_text(reasoning_content, "reasoning_content", &mut skipped);
        let details = details.unwrap_or(Ok(Vec::new())).map(Some);
        let details = lax(details, &path.key("reasoning_details"), &mut skipped);
        let details = non_empty(join(details.unwrap_or_default(), "\n"));
        let reasoning = reasoning
            .or(reasoning_content)
            .or_else(|| non_empty(join(blocks.thinking, "\n")))
            .or(details);
        let pictures = pictures.unwrap_or(Ok((Vec::new(), Vec::new()))).map(Some);
        let (mut images, unread) =
            lax(pictures, &path.key("images"), &mut skipped).unwrap_or_default();
        skipped.extend(unread);
        images.extend(blocks.images);
        let (mut tool_calls, unread) = calls.unwrap_or(Ok((Vec::new(), Vec::new())))?;
        skipped.extend(unread);
        if let Some(Some(Function { name, arguments })) = legacy.transpose()? {
            let name = text_slot(name)?;
            let arguments = arguments.unwrap_or(Ok(Arguments::Text(Cow::Borrowed("{}"))))?;
            if let Some(name) = non_empty(name).filter(|_| tool_calls.is_empty()) {
                tool_calls.push(ToolCall {
                    id: None,
                    name,
                    arguments,
                });
            }
        }
        let refusal = lax_text(refusal, "refusal", &mut skipped);
        Ok(Some(Message {
            content,
            reasoning,
            refusal,
            tool_calls,
            images,
            thinking_blocks: Vec::new(),
            skipped,
        }))
    })())
}
