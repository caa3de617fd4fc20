//! Anthropic Messages responses (docs/parsing-rules-anthropic.md) as a one-choice chat completion.
//!
//! As for OpenAI bodies, every member is read into a slot holding its value or its fault (a later
//! duplicate key replaces it), and the faults surface once the object is closed, in the order the
//! pure-Python twin checks the fields.

use std::borrow::Cow;

use crate::chat::{ChatCompletion, Choice};
use crate::error::{Checked, ParseError, Path};
use crate::fields::{self, ErrorField, keep_first, lax, opt_int, opt_object, opt_str, wrong};
use crate::json::{Kind, Reader, Syn};
use crate::message::{
    Arguments, Message, ThinkingBlock, ToolCall, join, non_empty, required, text_slot, written,
};
use crate::usage::Usage;

type Text<'a> = Checked<Option<Cow<'a, str>>>;
type Count = Checked<Option<i128>>;

/// The members a content block may use, as read; which of them count depends on its `type`.
#[derive(Default)]
struct Block<'a> {
    kind: Option<Text<'a>>,
    text: Option<Text<'a>>,
    thinking: Option<Text<'a>>,
    signature: Option<Text<'a>>,
    data: Option<Text<'a>>,
    id: Option<Text<'a>>,
    name: Option<Text<'a>>,
    /// The byte range of `input` when it is an object; `None` for null.
    input: Option<Checked<Option<(usize, usize)>>>,
}

fn block<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Block<'a>>> {
    if r.kind()? != Kind::Object {
        return Ok(Err(wrong(r, "an object", path)?));
    }
    let mut b = Block::default();
    r.object(|r, key| {
        let (slot, name) = match &*key {
            "type" => (&mut b.kind, "type"),
            "text" => (&mut b.text, "text"),
            "thinking" => (&mut b.thinking, "thinking"),
            "signature" => (&mut b.signature, "signature"),
            "data" => (&mut b.data, "data"),
            "id" => (&mut b.id, "id"),
            "name" => (&mut b.name, "name"),
            "input" => {
                b.input = Some(fields::opt_object_span(r, &path.key("input"))?);
                return Ok(());
            }
            _ => return r.skip(),
        };
        *slot = Some(opt_str(r, &path.key(name))?);
        Ok(())
    })?;
    Ok(Ok(b))
}

/// The content array folded into the message's parts, in block order.
#[derive(Default)]
struct Parts<'a> {
    texts: Vec<Cow<'a, str>>,
    thinking: Vec<ThinkingBlock<'a>>,
    calls: Vec<ToolCall<'a>>,
    skipped: Vec<String>,
}

impl<'a> Parts<'a> {
    fn add(&mut self, b: Block<'a>, body: &'a str, path: &Path<'_>) -> Checked<()> {
        match text_slot(b.kind)?.as_deref() {
            Some("text") => {
                if let Some(text) = text_slot(b.text)? {
                    self.texts.push(text);
                }
            }
            Some("thinking") => {
                let thinking = text_slot(b.thinking)?;
                let signature = text_slot(b.signature)?;
                self.thinking.push(ThinkingBlock {
                    thinking,
                    signature,
                    redacted_data: None,
                });
            }
            Some("redacted_thinking") => {
                let data = required(b.data, &path.key("data"), "a string")?;
                self.thinking.push(ThinkingBlock {
                    redacted_data: Some(data),
                    ..ThinkingBlock::default()
                });
            }
            Some("tool_use") => {
                let id = non_empty(lax(text_slot(b.id), &path.key("id"), &mut self.skipped));
                let name = required(b.name, &path.key("name"), "a string")?;
                let arguments = match b.input.unwrap_or(Ok(None))? {
                    None => Arguments::Text(Cow::Borrowed("{}")),
                    Some(span) => written(body, span, &path.key("input"))?,
                };
                self.calls.push(ToolCall {
                    id,
                    name,
                    arguments,
                });
            }
            _ => {}
        }
        Ok(())
    }

    fn message(self, refusal: Option<Cow<'a, str>>) -> Message<'a> {
        // Text blocks are pieces of one answer (citations split it mid-sentence): joined with nothing.
        let content = join(self.texts, "");
        let reasoning = self
            .thinking
            .iter()
            .filter_map(|block| block.thinking.clone())
            .filter(|text| !text.is_empty())
            .collect();
        Message {
            content,
            reasoning: join(reasoning, "\n"),
            refusal,
            tool_calls: self.calls,
            images: Vec::new(),
            thinking_blocks: self.thinking,
            skipped: self.skipped,
        }
    }
}

/// `content` (required): `None` when null; the outer fault is its type, the inner one a block's.
fn content<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Option<Checked<Parts<'a>>>>> {
    Ok(match r.kind()? {
        Kind::Array => {
            let body = r.text_between(0, r.bytes().len());
            let (mut parts, mut fault) = (Parts::default(), None);
            r.array(|r, i| {
                let at = path.index(i);
                let read = block(r, &at)?.and_then(|b| parts.add(b, body, &at));
                keep_first(&mut fault, read);
                Ok(())
            })?;
            Ok(Some(fault.map_or(Ok(parts), Err)))
        }
        Kind::Null => r.null().map(|_| Ok(None))?,
        _ => Err(wrong(r, "an array", path)?),
    })
}

/// `usage.cache_creation` as read: the cache writes by time to live (5 minutes, 1 hour).
pub(crate) struct TtlSplit {
    object: Checked<bool>,
    m5: Count,
    h1: Count,
}

impl Default for TtlSplit {
    fn default() -> Self {
        Self {
            object: Ok(false),
            m5: Ok(None),
            h1: Ok(None),
        }
    }
}

impl TtlSplit {
    /// Reads the value at `path` (the `cache_creation` member); a later duplicate replaces it.
    pub(crate) fn read(r: &mut Reader<'_>, path: &Path<'_>) -> Syn<Self> {
        let (mut m5, mut h1) = (Ok(None), Ok(None));
        let object = opt_object(r, path, |r, key| {
            match &*key {
                "ephemeral_5m_input_tokens" => {
                    m5 = opt_int(r, &path.key("ephemeral_5m_input_tokens"))?
                }
                "ephemeral_1h_input_tokens" => {
                    h1 = opt_int(r, &path.key("ephemeral_1h_input_tokens"))?
                }
                _ => r.skip()?,
            }
            Ok(())
        })?;
        Ok(Self { object, m5, h1 })
    }

    /// The 5-minute and 1-hour counts; optional throughout: a `cache_creation` that is not an object
    /// and a count that is not an integer are left out and their paths added to `skipped`.
    pub(crate) fn finish(
        self,
        path: &Path<'_>,
        skipped: &mut Vec<String>,
    ) -> (Option<i128>, Option<i128>) {
        match self.object {
            Ok(true) => (
                lax(self.m5, &path.key("ephemeral_5m_input_tokens"), skipped),
                lax(self.h1, &path.key("ephemeral_1h_input_tokens"), skipped),
            ),
            Ok(false) => (None, None),
            Err(_) => {
                skipped.push(path.render());
                (None, None)
            }
        }
    }
}

/// `usage` as read: Anthropic counts cached prompt tokens apart from `input_tokens`.
struct RawUsage<'a> {
    input: Count,
    cache_read: Count,
    cache_write: Count,
    output: Count,
    /// `output_tokens_details` (object rule) and its `thinking_tokens`.
    details: Checked<()>,
    thinking: Count,
    ttl: TtlSplit,
    service_tier: Text<'a>,
}

fn usage<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Option<RawUsage<'a>>>> {
    let mut raw = RawUsage {
        input: Ok(None),
        cache_read: Ok(None),
        cache_write: Ok(None),
        output: Ok(None),
        details: Ok(()),
        thinking: Ok(None),
        ttl: TtlSplit::default(),
        service_tier: Ok(None),
    };
    let details_path = path.key("output_tokens_details");
    let present = opt_object(r, path, |r, key| {
        let at = |name| path.key(name);
        match &*key {
            "input_tokens" => raw.input = opt_int(r, &at("input_tokens"))?,
            "cache_read_input_tokens" => {
                raw.cache_read = opt_int(r, &at("cache_read_input_tokens"))?
            }
            "cache_creation_input_tokens" => {
                raw.cache_write = opt_int(r, &at("cache_creation_input_tokens"))?
            }
            "output_tokens" => raw.output = opt_int(r, &at("output_tokens"))?,
            "cache_creation" => raw.ttl = TtlSplit::read(r, &at("cache_creation"))?,
            "service_tier" => raw.service_tier = opt_str(r, &at("service_tier"))?,
            "output_tokens_details" => {
                let mut thinking = Ok(None);
                let read = opt_object(r, &details_path, |r, key| {
                    if key == "thinking_tokens" {
                        thinking = opt_int(r, &details_path.key("thinking_tokens"))?;
                        return Ok(());
                    }
                    r.skip()
                })?;
                raw.details = read.map(|_| ());
                raw.thinking = thinking;
            }
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok(present.map(|present| present.then_some(raw)))
}

fn finish_usage<'a>(raw: RawUsage<'a>, skipped: &mut Vec<String>) -> (Usage, Option<Cow<'a, str>>) {
    let usage = Path::ROOT.key("usage");
    let mut count = |read: Count, name: &'static str| lax(read, &usage.key(name), skipped);
    let uncached = count(raw.input, "input_tokens");
    let cache_read = count(raw.cache_read, "cache_read_input_tokens");
    let cache_write = count(raw.cache_write, "cache_creation_input_tokens");
    let output = count(raw.output, "output_tokens");
    let details = usage.key("output_tokens_details");
    let thinking = match raw.details {
        Ok(()) => lax(raw.thinking, &details.key("thinking_tokens"), skipped),
        Err(_) => {
            skipped.push(details.render());
            None
        }
    };
    let (write_5m, write_1h) = raw.ttl.finish(&usage.key("cache_creation"), skipped);
    let tokens = anthropic_usage([
        uncached,
        cache_read,
        cache_write,
        output,
        thinking,
        write_5m,
        write_1h,
    ]);
    let tier = lax(raw.service_tier, &usage.key("service_tier"), skipped);
    (tokens, tier)
}

/// Anthropic's counts (uncached input, cache read, cache write, output, thinking, 5-minute and 1-hour
/// cache writes) as canonical usage; the stream folder reports the same way.
pub(crate) fn anthropic_usage(counts: [Option<i128>; 7]) -> Usage {
    let [
        uncached,
        cache_read,
        cache_write,
        output,
        thinking,
        write_5m,
        write_1h,
    ] = counts;
    // The canonical count includes every prompt token; a cache count not sent adds nothing.
    let prompt = uncached.map(|n| n + cache_read.unwrap_or(0) + cache_write.unwrap_or(0));
    Usage {
        input_tokens: prompt,
        output_tokens: output,
        total_tokens: prompt.zip(output).map(|(p, o)| p + o),
        reasoning_tokens: thinking,
        cache_read_tokens: cache_read,
        cache_write_tokens: cache_write,
        cache_write_5m_tokens: write_5m,
        cache_write_1h_tokens: write_1h,
        ..Usage::default()
    }
}

/// Every top-level member the rules read, as read.
#[derive(Default)]
struct Top<'a> {
    id: Option<Text<'a>>,
    model: Option<Text<'a>>,
    stop_reason: Option<Text<'a>>,
    stop_sequence: Option<Text<'a>>,
    /// `stop_details` (object rule) and its `explanation`; `None` inside when null.
    stop_details: Option<Checked<Option<Text<'a>>>>,
    content: Option<Checked<Option<Checked<Parts<'a>>>>>,
    usage: Option<Checked<Option<RawUsage<'a>>>>,
    error: ErrorField<'a>,
}

fn stop_details<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Option<Text<'a>>>> {
    let mut explanation = None;
    let present = opt_object(r, path, |r, key| {
        if key == "explanation" {
            explanation = Some(opt_str(r, &path.key("explanation"))?);
            return Ok(());
        }
        r.skip()
    })?;
    Ok(present.map(|present| present.then(|| text_slot(explanation))))
}

fn read_top<'a>(r: &mut Reader<'a>) -> Syn<Top<'a>> {
    let root = Path::ROOT;
    let mut top = Top::default();
    r.object(|r, key| {
        let (slot, name) = match &*key {
            "id" => (&mut top.id, "id"),
            "model" => (&mut top.model, "model"),
            "stop_reason" => (&mut top.stop_reason, "stop_reason"),
            "stop_sequence" => (&mut top.stop_sequence, "stop_sequence"),
            "stop_details" => {
                top.stop_details = Some(stop_details(r, &root.key("stop_details"))?);
                return Ok(());
            }
            "content" => {
                top.content = Some(content(r, &root.key("content"))?);
                return Ok(());
            }
            "usage" => {
                top.usage = Some(usage(r, &root.key("usage"))?);
                return Ok(());
            }
            "error" => {
                top.error = fields::error_field(r)?;
                return Ok(());
            }
            _ => return r.skip(),
        };
        *slot = Some(opt_str(r, &root.key(name))?);
        Ok(())
    })?;
    Ok(top)
}

fn assemble(top: Top<'_>) -> Checked<ChatCompletion<'_>> {
    let present = top.content.is_some();
    let Some(parts) = top.content.transpose()?.flatten() else {
        return Err(fields::missing_array(&top.error, present, "content"));
    };
    let root = Path::ROOT;
    let mut skipped = Vec::new();
    let text = |slot, name: &'static str, skipped: &mut Vec<String>| {
        lax(text_slot(slot), &root.key(name), skipped)
    };
    let native = non_empty(text(top.stop_reason, "stop_reason", &mut skipped));
    text(top.stop_sequence, "stop_sequence", &mut skipped);
    let details_path = root.key("stop_details");
    let explanation = match top.stop_details.unwrap_or(Ok(None)) {
        Ok(Some(explanation)) => lax(explanation, &details_path.key("explanation"), &mut skipped),
        Ok(None) => None,
        Err(_) => {
            skipped.push(details_path.render());
            None
        }
    };
    let refusal = non_empty(explanation).filter(|_| native.as_deref() == Some("refusal"));
    let usage = lax(
        top.usage.unwrap_or(Ok(None)),
        &root.key("usage"),
        &mut skipped,
    );
    let mut message = parts?.message(refusal);
    let id = text(top.id, "id", &mut skipped);
    let model = text(top.model, "model", &mut skipped);
    let (usage, service_tier) = match usage.map(|raw| finish_usage(raw, &mut skipped)) {
        Some((usage, tier)) => (Some(usage), tier),
        None => (None, None),
    };
    skipped.append(&mut message.skipped);
    skipped.sort_unstable();
    Ok(ChatCompletion {
        id,
        model,
        created: None,
        choices: vec![Choice {
            index: 0,
            message,
            finish_reason: native,
            logprobs: None,
        }],
        usage,
        system_fingerprint: None,
        service_tier,
        skipped,
    })
}

/// Parses a Messages API response body into one choice (index 0).
pub fn parse_anthropic_message(body: &[u8]) -> Result<ChatCompletion<'_>, ParseError> {
    let mut r = fields::open(body)?;
    let result = read_top(&mut r).map(assemble);
    fields::close(&mut r, body, result)
}

#[cfg(test)]
mod tests;
