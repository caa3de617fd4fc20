//! Reading an OpenAI chunk into checked values (nothing is applied here): a chunk is read into slots
//! (a later duplicate key replaces a slot, as orjson keeps the last value), then the slots are checked.

use std::borrow::Cow;

use crate::error::{Checked, ParseError, Path};
use crate::fields::{keep_first, lax, opt_int, opt_object, opt_str, type_name, wrong};
use crate::json::{Kind, Reader, Syn};
use crate::usage::{Usage, read_usage};

use super::openai_tools::{Tool, read_function, read_tools};
use super::{fault_error, syntax_error};

type Text<'a> = Checked<Option<Cow<'a, str>>>;

/// Opens an event's data as a JSON object (syntax errors win over a wrong type, as with orjson).
// Inlined: the reader is returned by value, and a call copies it (its depth stack is 128 bytes) per event.
#[inline(always)]
pub(in crate::stream) fn open(data: &str, number: u64) -> Result<Reader<'_>, ParseError> {
    let mut r = Reader::over(data);
    let syntax = |e| syntax_error(number, &e, data);
    if r.kind().map_err(syntax)? != Kind::Object {
        let name = type_name(&mut r).map_err(syntax)?;
        r.finish().map_err(syntax)?;
        return Err(ParseError {
            message: format!("stream event {number}: expected a JSON object, got {name}"),
            path: None,
            offset: None,
            snippet: None,
        });
    }
    Ok(r)
}

pub(super) type Items<'a> = Option<Vec<&'a str>>;

pub(super) struct Delta<'a> {
    pub(super) index: i128,
    pub(super) content: Option<Cow<'a, str>>,
    pub(super) reasoning: Cow<'a, str>,
    pub(super) refusal: Cow<'a, str>,
    pub(super) tools: Vec<Tool<'a>>,
    pub(super) finish: Option<Cow<'a, str>>,
    pub(super) logprobs: Option<(Items<'a>, Items<'a>)>,
    /// Paths of this choice's optional members that could not be read.
    pub(super) skipped: Vec<String>,
}

pub(super) struct Chunk<'a> {
    pub(super) id: Option<Cow<'a, str>>,
    pub(super) model: Option<Cow<'a, str>>,
    pub(super) created: Option<i128>,
    pub(super) fingerprint: Option<Cow<'a, str>>,
    pub(super) tier: Option<Cow<'a, str>>,
    pub(super) usage: Option<Usage>,
    pub(super) choices: Vec<Delta<'a>>,
    pub(super) error: bool,
    /// Paths of the chunk's optional members that could not be read, sorted.
    pub(super) skipped: Vec<String>,
}

pub(super) fn read(data: &str, number: u64) -> Result<Chunk<'_>, ParseError> {
    let mut r = open(data, number)?;
    let syntax = |e| syntax_error(number, &e, data);
    let chunk = read_chunk(&mut r).map_err(syntax)?;
    r.finish().map_err(syntax)?;
    chunk.map_err(|fault| fault_error(number, fault))
}

fn read_chunk<'a>(r: &mut Reader<'a>) -> Syn<Checked<Chunk<'a>>> {
    let root = Path::ROOT;
    let (mut id, mut model, mut fingerprint, mut tier): (Text<'a>, Text<'a>, Text<'a>, Text<'a>) =
        (Ok(None), Ok(None), Ok(None), Ok(None));
    let mut created = Ok(None);
    let (mut usage, mut groq) = ((None, Vec::new()), Ok((None, Vec::new())));
    let mut choices = Ok(Vec::new());
    let mut error = false;
    r.object(|r, key| {
        match &*key {
            "id" => id = opt_str(r, &root.key("id"))?,
            "model" => model = opt_str(r, &root.key("model"))?,
            "created" => created = opt_int(r, &root.key("created"))?,
            "system_fingerprint" => fingerprint = opt_str(r, &root.key("system_fingerprint"))?,
            "service_tier" => tier = opt_str(r, &root.key("service_tier"))?,
            "usage" => {
                let mut skipped = Vec::new();
                usage = (read_usage(r, &root.key("usage"), &mut skipped)?, skipped);
            }
            "x_groq" => groq = groq_usage(r)?,
            "choices" => choices = read_choices(r)?,
            "error" => {
                error = !r.null()?;
                if error {
                    r.skip()?;
                }
            }
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok((|| {
        let choices = choices?;
        let (usage, mut skipped) = usage;
        let (groq, groq_skipped) =
            lax(groq.map(Some), &root.key("x_groq"), &mut skipped).unwrap_or_default();
        skipped.extend(groq_skipped);
        for choice in &choices {
            skipped.extend(choice.skipped.iter().cloned());
        }
        let mut text = |slot, name| lax(slot, &root.key(name), &mut skipped);
        let (id, model) = (text(id, "id"), text(model, "model"));
        let fingerprint = text(fingerprint, "system_fingerprint");
        let tier = text(tier, "service_tier");
        let created = lax(created, &root.key("created"), &mut skipped);
        skipped.sort_unstable();
        Ok(Chunk {
            id,
            model,
            created,
            fingerprint,
            tier,
            usage: usage.or(groq),
            choices,
            error,
            skipped,
        })
    })())
}

/// Groq's `x_groq.usage`, used when the chunk has no `usage` of its own (and what was skipped in it).
fn groq_usage(r: &mut Reader<'_>) -> Syn<Checked<(Option<Usage>, Vec<String>)>> {
    let path = Path::ROOT.key("x_groq");
    let (mut usage, mut skipped) = (None, Vec::new());
    let present = opt_object(r, &path, |r, key| {
        if key == "usage" {
            skipped.clear();
            usage = read_usage(r, &path.key("usage"), &mut skipped)?;
        } else {
            r.skip()?;
        }
        Ok(())
    })?;
    Ok(present.map(|_| (usage, skipped)))
}

fn read_choices<'a>(r: &mut Reader<'a>) -> Syn<Checked<Vec<Delta<'a>>>> {
    let path = Path::ROOT.key("choices");
    Ok(match r.kind()? {
        Kind::Array => {
            let (mut list, mut fault) = (Vec::new(), None);
            r.array(|r, i| {
                if let Some(delta) = keep_first(&mut fault, read_choice(r, i, &path.index(i))?) {
                    list.push(delta);
                }
                Ok(())
            })?;
            fault.map_or(Ok(list), Err)
        }
        Kind::Null => {
            r.null()?;
            Ok(Vec::new())
        }
        _ => Err(wrong(r, "an array", &path)?),
    })
}

/// The members of a delta object, as read.
#[derive(Default)]
struct DeltaSlots<'a> {
    content: Option<Checked<(Option<Cow<'a, str>>, String)>>,
    reasoning: Option<Text<'a>>,
    reasoning_content: Option<Text<'a>>,
    refusal: Option<Text<'a>>,
    details: Option<Checked<String>>,
    tools: Option<Checked<Vec<Tool<'a>>>>,
    legacy: Option<Checked<Option<Tool<'a>>>>,
}

fn slot<T>(slot: Option<Checked<Option<T>>>) -> Checked<Option<T>> {
    slot.unwrap_or(Ok(None))
}

fn read_choice<'a>(
    r: &mut Reader<'a>,
    position: usize,
    path: &Path<'_>,
) -> Syn<Checked<Delta<'a>>> {
    if r.kind()? != Kind::Object {
        return Ok(Err(wrong(r, "an object", path)?));
    }
    let (mut index, mut finish, mut logprobs) = (Ok(None), Ok(None), Ok(None));
    let mut delta: Checked<Option<DeltaSlots<'a>>> = Ok(None);
    let delta_path = path.key("delta");
    r.object(|r, key| {
        match &*key {
            "index" => index = opt_int(r, &path.key("index"))?,
            "finish_reason" => finish = opt_str(r, &path.key("finish_reason"))?,
            "logprobs" => logprobs = read_logprobs(r, &path.key("logprobs"))?,
            "delta" => {
                let mut slots = DeltaSlots::default();
                let present = opt_object(r, &delta_path, |r, key| {
                    delta_member(r, key, &delta_path, &mut slots)
                })?;
                delta = present.map(|present| present.then_some(slots));
            }
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok((|| {
        let index = index?.unwrap_or(position as i128);
        let logprobs = logprobs?;
        let delta = delta?;
        let mut skipped = Vec::new();
        let finish = lax(finish, &path.key("finish_reason"), &mut skipped);
        let mut read = Delta {
            index,
            content: None,
            reasoning: Cow::Borrowed(""),
            refusal: Cow::Borrowed(""),
            tools: Vec::new(),
            finish,
            logprobs,
            skipped,
        };
        if let Some(slots) = delta {
            let (content, thinking) = slots.content.unwrap_or(Ok((None, String::new())))?;
            let tools = slots.tools.unwrap_or(Ok(Vec::new()))?;
            let legacy = slot(slots.legacy)?;
            let skipped = &mut read.skipped;
            let mut text = |slot_, name| lax(slot(slot_), &delta_path.key(name), skipped);
            let reasoning = text(slots.reasoning, "reasoning").filter(|t| !t.is_empty());
            let reasoning_content =
                text(slots.reasoning_content, "reasoning_content").filter(|t| !t.is_empty());
            let refusal = text(slots.refusal, "refusal");
            let details = slots.details.unwrap_or(Ok(String::new())).map(Some);
            let details =
                lax(details, &delta_path.key("reasoning_details"), skipped).unwrap_or_default();
            // One fragment of reasoning per delta: the first non-empty source.
            read.reasoning = reasoning
                .or(reasoning_content)
                .or((!thinking.is_empty()).then_some(Cow::Owned(thinking)))
                .unwrap_or(Cow::Owned(details));
            read.refusal = refusal.unwrap_or(Cow::Borrowed(""));
            read.content = content;
            read.tools = tools;
            if let Some(legacy) = legacy {
                read.tools.push(legacy);
            }
        }
        Ok(read)
    })())
}

fn delta_member<'a>(
    r: &mut Reader<'a>,
    key: Cow<'a, str>,
    path: &Path<'_>,
    s: &mut DeltaSlots<'a>,
) -> Syn<()> {
    match &*key {
        "content" => s.content = Some(read_content(r, &path.key("content"))?),
        "reasoning" => s.reasoning = Some(opt_str(r, &path.key("reasoning"))?),
        "reasoning_content" => {
            s.reasoning_content = Some(opt_str(r, &path.key("reasoning_content"))?)
        }
        "refusal" => s.refusal = Some(opt_str(r, &path.key("refusal"))?),
        "reasoning_details" => s.details = Some(read_details(r, &path.key("reasoning_details"))?),
        "tool_calls" => s.tools = Some(read_tools(r, &path.key("tool_calls"))?),
        "function_call" => {
            s.legacy = Some(read_function(r, &path.key("function_call"), None, None)?)
        }
        _ => r.skip()?,
    }
    Ok(())
}

/// `content`: a string, null, or content blocks (their text, and their thinking texts).
fn read_content<'a>(
    r: &mut Reader<'a>,
    path: &Path<'_>,
) -> Syn<Checked<(Option<Cow<'a, str>>, String)>> {
    Ok(match r.kind()? {
        Kind::String => Ok((Some(r.string()?), String::new())),
        Kind::Null => {
            r.null()?;
            Ok((None, String::new()))
        }
        Kind::Array => {
            let (mut text, mut thinking, mut fault) = (None::<String>, String::new(), None);
            r.array(|r, j| {
                let block = read_block(r, &path.index(j))?;
                if let Some((kind, piece)) = keep_first(&mut fault, block) {
                    match kind {
                        BlockKind::Text => text.get_or_insert_with(String::new).push_str(&piece),
                        BlockKind::Reasoning => thinking.push_str(&piece),
                        BlockKind::Other => {}
                    }
                }
                Ok(())
            })?;
            fault.map_or(Ok((text.map(Cow::Owned), thinking)), Err)
        }
        _ => Err(wrong(r, "a string or an array", path)?),
    })
}

enum BlockKind {
    Text,
    Reasoning,
    Other,
}

/// One content block: its kind and its text (for a text block, `None` when it has none).
fn read_block<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<(BlockKind, String)>> {
    if r.kind()? != Kind::Object {
        return Ok(Err(wrong(r, "an object", path)?));
    }
    let (mut kind, mut text): (Text<'a>, Option<Text<'a>>) = (Ok(None), None);
    let mut thinking: Option<Checked<Option<Vec<Cow<'a, str>>>>> = None;
    let thinking_path = path.key("thinking");
    r.object(|r, key| {
        match &*key {
            "type" => kind = opt_str(r, &path.key("type"))?,
            "text" => text = Some(opt_str(r, &path.key("text"))?),
            "thinking" => thinking = Some(read_thinking(r, &thinking_path)?),
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok((|| {
        let kind = kind?;
        Ok(match kind.as_deref() {
            None | Some("text" | "output_text") => match slot(text)? {
                Some(t) => (BlockKind::Text, t.into_owned()),
                None => (BlockKind::Other, String::new()),
            },
            Some("thinking" | "reasoning") => {
                let text = slot(text)?;
                let pieces = match thinking {
                    None | Some(Ok(None)) => text.into_iter().collect(),
                    Some(read) => read?.unwrap_or_default(),
                };
                (BlockKind::Reasoning, pieces.concat())
            }
            Some(_) => (BlockKind::Other, String::new()),
        })
    })())
}

fn read_thinking<'a>(
    r: &mut Reader<'a>,
    path: &Path<'_>,
) -> Syn<Checked<Option<Vec<Cow<'a, str>>>>> {
    Ok(match r.kind()? {
        Kind::String => Ok(Some(vec![r.string()?])),
        Kind::Null => {
            r.null()?;
            Ok(None)
        }
        Kind::Array => {
            let (mut texts, mut fault) = (Vec::new(), None);
            r.array(|r, k| {
                let item = path.index(k);
                let read = if r.kind()? == Kind::Object {
                    let mut text = Ok(None);
                    r.object(|r, key| {
                        if key == "text" {
                            text = opt_str(r, &item.key("text"))?;
                        } else {
                            r.skip()?;
                        }
                        Ok(())
                    })?;
                    text
                } else {
                    Err(wrong(r, "an object", &item)?)
                };
                if let Some(Some(text)) = keep_first(&mut fault, read) {
                    texts.push(text);
                }
                Ok(())
            })?;
            fault.map_or(Ok(Some(texts)), Err)
        }
        _ => Err(wrong(r, "a string or an array", path)?),
    })
}

/// `reasoning_details`: the texts of `reasoning.text` entries and summaries of `reasoning.summary` ones.
fn read_details(r: &mut Reader<'_>, path: &Path<'_>) -> Syn<Checked<String>> {
    Ok(match r.kind()? {
        Kind::Null => {
            r.null()?;
            Ok(String::new())
        }
        Kind::Array => {
            let (mut joined, mut fault) = (String::new(), None);
            r.array(|r, j| {
                let entry = path.index(j);
                let read = if r.kind()? == Kind::Object {
                    let (mut kind, mut text, mut summary) = (Ok(None), Ok(None), Ok(None));
                    r.object(|r, key| {
                        match &*key {
                            "type" => kind = opt_str(r, &entry.key("type"))?,
                            "text" => text = opt_str(r, &entry.key("text"))?,
                            "summary" => summary = opt_str(r, &entry.key("summary"))?,
                            _ => r.skip()?,
                        }
                        Ok(())
                    })?;
                    kind.and_then(|kind| match kind.as_deref() {
                        Some("reasoning.text") => text,
                        Some("reasoning.summary") => summary,
                        _ => Ok(None),
                    })
                } else {
                    Err(wrong(r, "an object", &entry)?)
                };
                if let Some(Some(text)) = keep_first(&mut fault, read) {
                    joined.push_str(&text);
                }
                Ok(())
            })?;
            fault.map_or(Ok(joined), Err)
        }
        _ => Err(wrong(r, "an array", path)?),
    })
}

fn read_logprobs<'a>(
    r: &mut Reader<'a>,
    path: &Path<'_>,
) -> Syn<Checked<Option<(Items<'a>, Items<'a>)>>> {
    let (mut content, mut refusal) = (Ok(None), Ok(None));
    let present = opt_object(r, path, |r, key| {
        match &*key {
            "content" => content = items(r, &path.key("content"))?,
            "refusal" => refusal = items(r, &path.key("refusal"))?,
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok((|| {
        Ok(if present? {
            Some((content?, refusal?))
        } else {
            None
        })
    })())
}

/// The raw JSON text of every item of an array (null: none).
fn items<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Items<'a>>> {
    Ok(match r.kind()? {
        Kind::Null => {
            r.null()?;
            Ok(None)
        }
        Kind::Array => {
            let mut list = Vec::new();
            r.array(|r, _| {
                let (start, end) = r.span()?;
                list.push(r.text_between(start, end));
                Ok(())
            })?;
            Ok(Some(list))
        }
        _ => Err(wrong(r, "an array", path)?),
    })
}
