//! Bedrock Converse responses (docs/parsing-rules-bedrock.md) as a one-choice chat completion; the
//! twin is `modelwire/parsing/pure/bedrock.py`.
//!
//! As for the other bodies, every member is read into a slot holding its value or its fault (a later
//! duplicate key replaces it), and the faults surface once the object is closed, in the order the
//! twin checks the fields.

use std::borrow::Cow;

use crate::chat::{ChatCompletion, Choice};
use crate::error::{Checked, Fault, ParseError, Path};
use crate::fields::{self, keep_first, opt_int, opt_object, opt_str, wrong};
use crate::json::{Kind, Reader, Syn};
use crate::message::{
    Arguments, Message, ThinkingBlock, ToolCall, join, non_empty, required, text_slot, written,
};
use crate::usage::Usage;

type Text<'a> = Checked<Option<Cow<'a, str>>>;
type Count = Checked<Option<i128>>;

/// A `toolUse` of this type ran on Bedrock's side (its result follows): not a call for the caller.
pub const SERVER_TOOL_USE: &str = "server_tool_use";
/// The counts of a `usage` object, in this order.
pub const USAGE_FIELDS: [&str; 5] = [
    "inputTokens",
    "outputTokens",
    "totalTokens",
    "cacheReadInputTokens",
    "cacheWriteInputTokens",
];

/// A `usage` object as read: its counts in [`USAGE_FIELDS`] order, and `cacheDetails`' cache writes
/// by time to live (slot 0: 5 minutes, 1: 1 hour).
pub struct ConverseCounts {
    counts: [Count; 5],
    cache_details: Checked<fields::Labelled>,
}

fn ttl_slot(ttl: &str) -> Option<usize> {
    match ttl {
        "5m" => Some(0),
        "1h" => Some(1),
        _ => None,
    }
}

/// Reads a `usage` object (or null).
pub fn read_usage(r: &mut Reader<'_>, path: &Path<'_>) -> Syn<Checked<Option<ConverseCounts>>> {
    let mut counts: [Count; 5] = [Ok(None), Ok(None), Ok(None), Ok(None), Ok(None)];
    let mut cache_details = Ok(Vec::new());
    let present = opt_object(r, path, |r, key| {
        if key == "cacheDetails" {
            cache_details = fields::labelled_counts(
                r,
                &path.key("cacheDetails"),
                ("ttl", "inputTokens"),
                &[],
                ttl_slot,
            )?;
            return Ok(());
        }
        match USAGE_FIELDS.iter().position(|n| *n == key) {
            Some(i) => {
                let value = opt_int(r, &path.key(USAGE_FIELDS.get(i).copied().unwrap_or("")))?;
                if let Some(slot) = counts.get_mut(i) {
                    *slot = value;
                }
            }
            None => r.skip()?,
        }
        Ok(())
    })?;
    Ok(present.map(|present| {
        present.then_some(ConverseCounts {
            counts,
            cache_details,
        })
    }))
}

/// The counts as canonical usage: `inputTokens` leaves out cache reads and writes (`totalTokens`
/// counts them), the canonical input holds them all.
pub fn converse_usage(read: ConverseCounts) -> Checked<Usage> {
    let [input, output, total, cache_read, cache_write] = read.counts;
    let (input, output, total) = (input?, output?, total?);
    let (cache_read, cache_write) = (cache_read?, cache_write?);
    let mut split = [None; 2];
    fields::add_labelled(&mut split, read.cache_details?);
    let [write_5m, write_1h] = split;
    let prompt = input.map(|n| n + cache_read.unwrap_or(0) + cache_write.unwrap_or(0));
    Ok(Usage {
        input_tokens: prompt,
        output_tokens: output,
        total_tokens: total.or_else(|| prompt.zip(output).map(|(p, o)| p + o)),
        reasoning_tokens: None,
        cache_read_tokens: cache_read,
        cache_write_tokens: cache_write,
        cache_write_5m_tokens: write_5m,
        cache_write_1h_tokens: write_1h,
        ..Usage::default()
    })
}

/// A `toolUse` object as read.
#[derive(Default)]
struct Tool<'a> {
    id: Option<Text<'a>>,
    name: Option<Text<'a>>,
    kind: Option<Text<'a>>,
    /// The byte range of `input` when it is an object.
    input: Option<Checked<Option<(usize, usize)>>>,
}

/// A `reasoningContent` object as read.
#[derive(Default)]
struct Reasoning<'a> {
    /// `reasoningText` and its `text` and `signature`.
    visible: Option<Checked<Option<[Option<Text<'a>>; 2]>>>,
    redacted: Option<Text<'a>>,
}

/// A content block as read: each member is a type check outside and the member's own reads inside.
#[derive(Default)]
struct Block<'a> {
    text: Option<Text<'a>>,
    tool: Option<Checked<Option<Tool<'a>>>>,
    reasoning: Option<Checked<Option<Reasoning<'a>>>>,
    /// `citationsContent`: the type of its `content`, and the texts of its items (first fault kept).
    cited: Option<Cited<'a>>,
}

fn tool<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Option<Tool<'a>>>> {
    let mut t = Tool::default();
    let present = opt_object(r, path, |r, key| {
        let (slot, name) = match &*key {
            "toolUseId" => (&mut t.id, "toolUseId"),
            "name" => (&mut t.name, "name"),
            "type" => (&mut t.kind, "type"),
            "input" => {
                t.input = Some(fields::opt_object_span(r, &path.key("input"))?);
                return Ok(());
            }
            _ => return r.skip(),
        };
        *slot = Some(opt_str(r, &path.key(name))?);
        Ok(())
    })?;
    Ok(present.map(|present| present.then_some(t)))
}

fn reasoning<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Option<Reasoning<'a>>>> {
    let mut read = Reasoning::default();
    let visible_path = path.key("reasoningText");
    let present = opt_object(r, path, |r, key| {
        match &*key {
            "reasoningText" => {
                let mut slots: [Option<Text<'a>>; 2] = [None, None];
                let present = opt_object(r, &visible_path, |r, key| {
                    match &*key {
                        "text" => slots[0] = Some(opt_str(r, &visible_path.key("text"))?),
                        "signature" => slots[1] = Some(opt_str(r, &visible_path.key("signature"))?),
                        _ => r.skip()?,
                    }
                    Ok(())
                })?;
                read.visible = Some(present.map(|present| present.then_some(slots)));
            }
            "redactedContent" => {
                read.redacted = Some(opt_str(r, &path.key("redactedContent"))?);
            }
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok(present.map(|present| present.then_some(read)))
}

/// `citationsContent`: its type (null: `None`), then its items' texts or the first fault among them.
type Cited<'a> = Checked<Option<Checked<Vec<Cow<'a, str>>>>>;

fn cited<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Cited<'a>> {
    let mut items: Checked<Vec<Cow<'a, str>>> = Ok(Vec::new());
    let content_path = path.key("content");
    let present = opt_object(r, path, |r, key| {
        if key != "content" {
            return r.skip();
        }
        let (mut texts, mut fault) = (Vec::new(), None);
        let read = fields::opt_array(r, &content_path, |r, i| {
            let at = content_path.index(i);
            let item = if r.kind()? == Kind::Object {
                let mut text = None;
                r.object(|r, key| {
                    if key == "text" {
                        text = Some(opt_str(r, &at.key("text"))?);
                        return Ok(());
                    }
                    r.skip()
                })?;
                text_slot(text)
            } else {
                Err(wrong(r, "an object", &at)?)
            };
            if let Some(Some(text)) = keep_first(&mut fault, item) {
                texts.push(text);
            }
            Ok(())
        })?;
        items = read.and_then(|()| fault.map_or(Ok(texts), Err));
        Ok(())
    })?;
    Ok(present.map(|present| present.then_some(items)))
}

fn block<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Block<'a>>> {
    if r.kind()? != Kind::Object {
        return Ok(Err(wrong(r, "an object", path)?));
    }
    let mut b = Block::default();
    r.object(|r, key| {
        match &*key {
            "text" => b.text = Some(opt_str(r, &path.key("text"))?),
            "toolUse" => b.tool = Some(tool(r, &path.key("toolUse"))?),
            "reasoningContent" => b.reasoning = Some(reasoning(r, &path.key("reasoningContent"))?),
            "citationsContent" => b.cited = Some(cited(r, &path.key("citationsContent"))?),
            _ => r.skip()?,
        }
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
}

impl<'a> Parts<'a> {
    fn add(&mut self, b: Block<'a>, body: &'a str, path: &Path<'_>) -> Checked<()> {
        // The twin checks the four members' types first, then each one's own members.
        let text = text_slot(b.text)?;
        let tool = b.tool.unwrap_or(Ok(None))?;
        let reasoning = b.reasoning.unwrap_or(Ok(None))?;
        let cited = b.cited.unwrap_or(Ok(None))?;
        if let Some(text) = text {
            self.texts.push(text);
        }
        if let Some(tool) = tool {
            let at = path.key("toolUse");
            let id = non_empty(text_slot(tool.id)?);
            let name = required(tool.name, &at.key("name"), "a string")?;
            let kind = text_slot(tool.kind)?;
            let input = tool.input.unwrap_or(Ok(None))?;
            if kind.as_deref() != Some(SERVER_TOOL_USE) {
                let arguments = match input {
                    None => Arguments::Text(Cow::Borrowed("{}")),
                    Some(span) => written(body, span, &at.key("input"))?,
                };
                self.calls.push(ToolCall {
                    id,
                    name,
                    arguments,
                });
            }
        }
        if let Some(reasoning) = reasoning {
            let visible = reasoning.visible.unwrap_or(Ok(None))?;
            let redacted = text_slot(reasoning.redacted)?;
            if let Some([text, signature]) = visible {
                self.thinking.push(ThinkingBlock {
                    thinking: text_slot(text)?,
                    signature: text_slot(signature)?,
                    redacted_data: None,
                });
            }
            if let Some(data) = redacted {
                self.thinking.push(ThinkingBlock {
                    redacted_data: Some(data),
                    ..ThinkingBlock::default()
                });
            }
        }
        if let Some(items) = cited {
            self.texts.extend(items?);
        }
        Ok(())
    }

    fn message(self) -> Message<'a> {
        let reasoning = self
            .thinking
            .iter()
            .filter_map(|block| block.thinking.clone())
            .filter(|text| !text.is_empty())
            .collect();
        Message {
            // Blocks are pieces of one answer (citations split it): joined with nothing.
            content: join(self.texts, ""),
            reasoning: join(reasoning, "\n"),
            refusal: None,
            tool_calls: self.calls,
            images: Vec::new(),
            thinking_blocks: self.thinking,
            // Converse fields are read strictly for now (a wrong type is a fault, none is skipped).
            skipped: Vec::new(),
        }
    }
}

/// `content`: absent (`None`), or its type fault, or null, or the parts (with the first block fault).
type Content<'a> = Option<Checked<Option<Checked<Parts<'a>>>>>;

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

/// `output.message` as read: its content slot, or the fault that it is not an object.
fn message_of<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Content<'a>>> {
    if r.kind()? != Kind::Object {
        return Ok(Err(wrong(r, "an object", path)?));
    }
    let mut slot: Content<'a> = None;
    let content_path = path.key("content");
    r.object(|r, key| {
        if key == "content" {
            slot = Some(content(r, &content_path)?);
            return Ok(());
        }
        r.skip()
    })?;
    Ok(Ok(slot))
}

/// `output`: null (`None`), or its `message` slot (`None` when absent).
type Output<'a> = Checked<Option<Option<Checked<Content<'a>>>>>;

fn output<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Output<'a>> {
    let mut message = None;
    let message_path = path.key("message");
    let present = opt_object(r, path, |r, key| {
        if key == "message" {
            message = Some(message_of(r, &message_path)?);
            return Ok(());
        }
        r.skip()
    })?;
    Ok(present.map(|present| present.then_some(message)))
}

/// Every top-level member the rules read, as read.
#[derive(Default)]
struct Top<'a> {
    output: Option<Output<'a>>,
    /// `message` / `Message` when they are strings (Bedrock's error body).
    errors: [Option<Option<Cow<'a, str>>>; 2],
    stop_reason: Option<Text<'a>>,
    usage: Option<Checked<Option<ConverseCounts>>>,
    tier: Option<Checked<Option<Text<'a>>>>,
}

fn read_top<'a>(r: &mut Reader<'a>) -> Syn<Top<'a>> {
    let root = Path::ROOT;
    let mut top = Top::default();
    r.object(|r, key| {
        match &*key {
            "output" => top.output = Some(output(r, &root.key("output"))?),
            "stopReason" => top.stop_reason = Some(opt_str(r, &root.key("stopReason"))?),
            "usage" => top.usage = Some(read_usage(r, &root.key("usage"))?),
            "serviceTier" => {
                let path = root.key("serviceTier");
                let mut kind = None;
                let present = opt_object(r, &path, |r, key| {
                    if key == "type" {
                        kind = Some(opt_str(r, &path.key("type"))?);
                        return Ok(());
                    }
                    r.skip()
                })?;
                top.tier = Some(present.map(|present| present.then(|| text_slot(kind))));
            }
            name @ ("message" | "Message") => {
                let text = if r.kind()? == Kind::String {
                    Some(r.string()?)
                } else {
                    r.skip()?;
                    None
                };
                let at = usize::from(name == "Message");
                if let Some(slot) = top.errors.get_mut(at) {
                    *slot = Some(text);
                }
            }
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok(top)
}

/// `output` absent or null: Bedrock's own error when it sent one.
fn missing_output(top: &Top<'_>, present: bool) -> Fault {
    for (slot, key) in top.errors.iter().zip(["message", "Message"]) {
        if let Some(Some(text)) = slot {
            return Path::ROOT.key(key).fault(format!(
                "the response holds an error instead of a result: {text}"
            ));
        }
    }
    let path = Path::ROOT.key("output");
    if present {
        path.fault("expected an object, got null")
    } else {
        path.fault("missing required field")
    }
}

fn assemble<'a>(mut top: Top<'a>) -> Checked<ChatCompletion<'a>> {
    let present = top.output.is_some();
    let Some(output) = top.output.take().transpose()?.flatten() else {
        return Err(missing_output(&top, present));
    };
    let output_path = Path::ROOT.key("output");
    let message_path = output_path.key("message");
    let Some(content) = output else {
        return Err(message_path.fault("missing required field"));
    };
    let content_path = message_path.key("content");
    let parts = match content? {
        None => return Err(content_path.fault("missing required field")),
        Some(read) => match read? {
            None => return Err(content_path.fault("expected an array, got null")),
            Some(parts) => parts?,
        },
    };
    let native = non_empty(text_slot(top.stop_reason)?);
    let usage = match top.usage.transpose()?.flatten() {
        Some(counts) => Some(converse_usage(counts)?),
        None => None,
    };
    let service_tier = match top.tier.transpose()?.flatten() {
        Some(kind) => kind?,
        None => None,
    };
    Ok(ChatCompletion {
        id: None,
        model: None,
        created: None,
        choices: vec![Choice {
            index: 0,
            message: parts.message(),
            finish_reason: native,
            logprobs: None,
        }],
        usage,
        system_fingerprint: None,
        service_tier,
        skipped: Vec::new(),
    })
}

/// Parses a Converse response body into one choice (index 0).
pub fn parse_bedrock_converse(body: &[u8]) -> Result<ChatCompletion<'_>, ParseError> {
    let mut r = fields::open(body)?;
    let result = read_top(&mut r).map(assemble);
    fields::close(&mut r, body, result)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn text_tools_reasoning_usage() {
        let body = br#"{"output":{"message":{"role":"assistant","content":[
            {"reasoningContent":{"reasoningText":{"text":"hm","signature":"sig"}}},
            {"reasoningContent":{"redactedContent":"cmVk"}},
            {"text":"Hi"},{"citationsContent":{"content":[{"text":" there"}]}},
            {"toolUse":{"toolUseId":"t1","name":"f","input":{"a":1}}},
            {"toolUse":{"toolUseId":"t2","name":"srv","type":"server_tool_use","input":{}}}]}},
            "stopReason":"tool_use","serviceTier":{"type":"flex"},
            "usage":{"inputTokens":3,"outputTokens":5,"cacheReadInputTokens":10,"cacheWriteInputTokens":2}}"#;
        let read = parse_bedrock_converse(body).unwrap();
        let m = &read.choices[0].message;
        assert_eq!(m.content.as_deref(), Some("Hi there"));
        assert_eq!(m.reasoning.as_deref(), Some("hm"));
        assert_eq!(m.thinking_blocks.len(), 2);
        assert_eq!(m.thinking_blocks[1].redacted_data.as_deref(), Some("cmVk"));
        assert_eq!(m.tool_calls.len(), 1);
        let usage = read.usage.unwrap();
        assert_eq!(usage.input_tokens, Some(15));
        assert_eq!(usage.total_tokens, Some(20));
        assert_eq!(read.service_tier.as_deref(), Some("flex"));
    }

    #[test]
    fn faults_in_the_twins_order() {
        let cases: [(&[u8], &str, &str); 5] = [
            (
                br#"{"message":"Bad"}"#,
                "message",
                "the response holds an error instead of a result: Bad",
            ),
            (br#"{}"#, "output", "missing required field"),
            (
                br#"{"output":{"message":{}}}"#,
                "output.message.content",
                "missing required field",
            ),
            (
                br#"{"output":{"message":{"content":[{"text":1,"toolUse":2}]}}}"#,
                "output.message.content[0].text",
                "expected a string, got integer",
            ),
            (
                br#"{"output":{"message":{"content":[{"toolUse":{"input":1}}]}},"stopReason":1}"#,
                "output.message.content[0].toolUse.name",
                "missing required field",
            ),
        ];
        for (body, path, message) in cases {
            let error = parse_bedrock_converse(body).unwrap_err();
            assert_eq!(
                (error.path.as_deref(), error.message.as_str()),
                (Some(path), message)
            );
        }
    }
}
