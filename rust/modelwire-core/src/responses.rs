//! OpenAI Responses API bodies (docs/parsing-rules-responses.md) as a one-choice chat completion; the
//! twin is `modelwire/parsing/pure/responses.py`.
//!
//! The members the rules read are read into a small tree (`json::tree`) and then looked up in the
//! twin's order, so faults surface as the twin raises them; `usage` is kept as its text and read by the
//! OpenAI usage reader. The stream folder (`stream::responses`) reads items with the same functions.

use std::borrow::Cow;

use crate::chat::{ChatCompletion, Choice};
use crate::error::{Checked, ParseError, Path};
use crate::fields;
use crate::finish;
use crate::json::tree::{self, Object, Value, expected};
use crate::json::{Kind, Reader, Syn};
use crate::message::{Arguments, Message, ToolCall};
use crate::usage::{Usage, parse_usage};

/// Container levels of an object that the rules read: `output[i].content[j].text` is four down.
const LEVELS: usize = 4;

/// Joins the texts of separate message items, and separate reasoning parts.
pub const PIECE_SEPARATOR: &str = "\n\n";

/// A reasoning item kept so a later turn can send it back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReasoningItem<'a> {
    pub id: Option<Cow<'a, str>>,
    pub summary: Vec<Cow<'a, str>>,
    pub content: Vec<Cow<'a, str>>,
    pub encrypted_content: Option<Cow<'a, str>>,
}

/// A parsed body: the completion, the canonical finish reason when the rules decide it (a completed
/// response with function calls asks for them), and the reasoning items of its one message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Responses<'a> {
    pub completion: ChatCompletion<'a>,
    pub finish_reason: Option<&'static str>,
    pub reasoning_items: Vec<ReasoningItem<'a>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Message,
    FunctionCall,
    Reasoning,
    Other,
}

/// An output item as read: its kind and the members that kind reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadItem<'a> {
    pub kind: ItemKind,
    pub id: Option<Cow<'a, str>>,
    pub text: Vec<Cow<'a, str>>,
    pub refusal: Vec<Cow<'a, str>>,
    pub call_id: Option<Cow<'a, str>>,
    pub name: Cow<'a, str>,
    pub arguments: Option<Cow<'a, str>>,
    pub summary: Vec<Cow<'a, str>>,
    pub content: Vec<Cow<'a, str>>,
    pub encrypted: Option<Cow<'a, str>>,
}

impl ReadItem<'_> {
    pub fn new(kind: ItemKind) -> Self {
        Self {
            kind,
            id: None,
            text: Vec::new(),
            refusal: Vec::new(),
            call_id: None,
            name: Cow::Borrowed(""),
            arguments: None,
            summary: Vec::new(),
            content: Vec::new(),
            encrypted: None,
        }
    }
}

/// A `Response` object as read: the members the rules look at, and the text of `usage`.
pub struct ResponseRead<'a> {
    pub tree: Value<'a>,
    pub usage: Option<&'a str>,
}

/// Reads the value that comes next; anything but an object is kept as its type.
pub fn read_response<'a>(r: &mut Reader<'a>) -> Syn<ResponseRead<'a>> {
    if r.kind()? != Kind::Object {
        return Ok(ResponseRead {
            tree: tree::read(r, 0)?,
            usage: None,
        });
    }
    let mut members = Vec::new();
    let mut usage = None;
    r.object(|r, key| {
        match &*key {
            "usage" => {
                let (start, end) = r.span()?;
                usage = Some(r.text_between(start, end));
            }
            "output" | "error" | "incomplete_details" | "status" | "id" | "model"
            | "created_at" | "service_tier" => members.push((key, tree::read(r, LEVELS)?)),
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok(ResponseRead {
        tree: Value::Object(members),
        usage,
    })
}

/// A response that holds an `error` failed: the fault names it (as for a chat completion holding one).
pub fn check_error(response: &Object<'_, '_>, path: &Path<'_>) -> Checked<()> {
    let text = match response.get("error") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Str(text)) => text.as_ref(),
        Some(error @ Value::Object(_)) => match error.get("message") {
            Some(Value::Str(text)) => text.as_ref(),
            _ => "",
        },
        Some(_) => "",
    };
    Err(path.key("error").fault(format!(
        "the response holds an error instead of a result: {text}"
    )))
}

/// The finish reason as sent: `incomplete_details.reason` when there is one, else `status`.
pub fn native_finish<'v, 'a>(
    response: &Object<'v, 'a>,
    path: &Path<'_>,
) -> Checked<Option<&'v Cow<'a, str>>> {
    let status = response.opt_str("status", path)?;
    let reason = match response.opt_object("incomplete_details", path)? {
        Some(details) => details.opt_str("reason", &path.key("incomplete_details"))?,
        None => None,
    };
    Ok(reason
        .filter(|r| !r.is_empty())
        .or(status.filter(|s| !s.is_empty())))
}

/// The canonical reason when the rules decide it: "stop" with function calls is "tool_calls".
pub fn finish_override(native: Option<&str>, has_calls: bool) -> Option<&'static str> {
    (has_calls && native.and_then(finish::normalise) == Some("stop")).then_some("tool_calls")
}

/// The usage kept as text, read by the OpenAI usage reader.
pub fn usage(text: Option<&str>, path: &Path<'_>) -> Result<Checked<Option<Usage>>, ParseError> {
    let Some(text) = text else {
        return Ok(Ok(None));
    };
    parse_usage(&mut Reader::over(text), path).map_err(|e| ParseError::syntax(&e, text.as_bytes()))
}

/// The `text` of every part of type `kind` (or without a type) in the array `key`.
fn texts<'a>(
    item: &Object<'_, 'a>,
    key: &'static str,
    kind: &str,
    path: &Path<'_>,
) -> Checked<Vec<Cow<'a, str>>> {
    let list_path = path.key(key);
    let mut out = Vec::new();
    for (i, part) in item.opt_list(key, path)?.iter().enumerate() {
        let at = list_path.index(i);
        let part = Object::of(part, &at)?;
        if part.opt_str("type", &at)?.is_none_or(|t| t == kind) {
            out.push(part.opt_str("text", &at)?.cloned().unwrap_or_default());
        }
    }
    Ok(out)
}

/// One output item, every member its kind reads checked.
pub fn read_item<'a>(item: &Value<'a>, path: &Path<'_>) -> Checked<ReadItem<'a>> {
    let item = Object::of(item, path)?;
    let kind = match item.opt_str("type", path)?.map(AsRef::as_ref) {
        Some("message") => ItemKind::Message,
        Some("function_call") => ItemKind::FunctionCall,
        Some("reasoning") => ItemKind::Reasoning,
        _ => ItemKind::Other,
    };
    let mut read = ReadItem::new(kind);
    match kind {
        ItemKind::Message => {
            let list_path = path.key("content");
            for (i, part) in item.opt_list("content", path)?.iter().enumerate() {
                let at = list_path.index(i);
                let part = Object::of(part, &at)?;
                match part.opt_str("type", &at)?.map(AsRef::as_ref) {
                    Some("output_text") => read
                        .text
                        .push(part.opt_str("text", &at)?.cloned().unwrap_or_default()),
                    Some("refusal") => read
                        .refusal
                        .push(part.opt_str("refusal", &at)?.cloned().unwrap_or_default()),
                    _ => {}
                }
            }
        }
        ItemKind::FunctionCall => {
            read.call_id = item
                .opt_str("call_id", path)?
                .filter(|c| !c.is_empty())
                .cloned();
            read.name = item.required_str("name", path)?.clone();
            read.arguments = item.opt_str("arguments", path)?.cloned();
        }
        ItemKind::Reasoning => {
            read.id = item.opt_str("id", path)?.cloned();
            read.summary = texts(&item, "summary", "summary_text", path)?;
            read.content = texts(&item, "content", "reasoning_text", path)?;
            read.encrypted = item.opt_str("encrypted_content", path)?.cloned();
        }
        ItemKind::Other => {}
    }
    Ok(read)
}

fn concat<'a>(parts: Vec<Cow<'a, str>>) -> Cow<'a, str> {
    match parts.len() {
        0 => Cow::Borrowed(""),
        1 => parts.into_iter().next().unwrap_or_default(),
        _ => Cow::Owned(parts.concat()),
    }
}

/// The non-empty pieces joined with the separator; `None` when there is none.
fn join<'a>(pieces: Vec<Cow<'a, str>>) -> Option<Cow<'a, str>> {
    let pieces: Vec<Cow<'a, str>> = pieces.into_iter().filter(|p| !p.is_empty()).collect();
    match pieces.len() {
        0 => None,
        1 => pieces.into_iter().next(),
        _ => Some(Cow::Owned(pieces.join(PIECE_SEPARATOR))),
    }
}

fn message(items: Vec<ReadItem<'_>>) -> (Message<'_>, Vec<ReasoningItem<'_>>) {
    let (mut texts, mut refusals, mut reasoning) = (Vec::new(), Vec::new(), Vec::new());
    let (mut calls, mut kept) = (Vec::new(), Vec::new());
    for item in items {
        match item.kind {
            ItemKind::Message => {
                // Parts of one message are pieces of one answer: joined with nothing.
                texts.push(concat(item.text));
                refusals.push(concat(item.refusal));
            }
            ItemKind::FunctionCall => calls.push(ToolCall {
                id: item.call_id,
                name: item.name,
                arguments: Arguments::Text(
                    item.arguments
                        .filter(|a| !a.is_empty())
                        .unwrap_or(Cow::Borrowed("{}")),
                ),
            }),
            ItemKind::Reasoning => {
                reasoning.extend(item.content.iter().chain(&item.summary).cloned());
                kept.push(ReasoningItem {
                    id: item.id,
                    summary: item.summary,
                    content: item.content,
                    encrypted_content: item.encrypted,
                });
            }
            ItemKind::Other => {}
        }
    }
    let message = Message {
        content: join(texts),
        reasoning: join(reasoning),
        refusal: join(refusals),
        tool_calls: calls,
        images: Vec::new(),
        thinking_blocks: Vec::new(),
        // Optional Responses fields are still read strictly (docs/parsing-rules-responses.md).
        skipped: Vec::new(),
    };
    (message, kept)
}

fn assemble<'a>(read: &ResponseRead<'a>) -> Result<Checked<Responses<'a>>, ParseError> {
    let root = Path::ROOT;
    let top = Object(&read.tree);
    let checked = (|| {
        check_error(&top, &root)?;
        let output = match top.get("output") {
            Some(Value::Array(items)) => items,
            None => return Err(root.key("output").fault("missing required field")),
            Some(other) => return Err(expected("an array", other, &root.key("output"))),
        };
        let list_path = root.key("output");
        let items = output
            .iter()
            .enumerate()
            .map(|(i, item)| read_item(item, &list_path.index(i)))
            .collect::<Checked<Vec<_>>>()?;
        let native = native_finish(&top, &root)?.cloned();
        Ok((items, native))
    })();
    let (items, native) = match checked {
        Ok(read) => read,
        Err(fault) => return Ok(Err(fault)),
    };
    let usage = match usage(read.usage, &root.key("usage"))? {
        Ok(usage) => usage,
        Err(fault) => return Ok(Err(fault)),
    };
    Ok((|| {
        let id = top.opt_str("id", &root)?.cloned();
        let model = top.opt_str("model", &root)?.cloned();
        let created = top.opt_whole("created_at", &root)?;
        let service_tier = top.opt_str("service_tier", &root)?.cloned();
        let (message, reasoning_items) = message(items);
        let finish_reason = finish_override(native.as_deref(), !message.tool_calls.is_empty());
        Ok(Responses {
            completion: ChatCompletion {
                id,
                model,
                created,
                choices: vec![Choice {
                    index: 0,
                    message,
                    finish_reason: native,
                    logprobs: None,
                }],
                usage,
                system_fingerprint: None,
                service_tier,
                skipped: Vec::new(),
            },
            finish_reason,
            reasoning_items,
        })
    })())
}

/// Parses a Responses API `Response` body into one choice (index 0).
pub fn parse_responses(body: &[u8]) -> Result<Responses<'_>, ParseError> {
    let mut r = fields::open(body)?;
    let read = read_response(&mut r).map_err(|e| ParseError::syntax(&e, body))?;
    r.finish().map_err(|e| ParseError::syntax(&e, body))?;
    assemble(&read)?.map_err(ParseError::fault)
}

/// The items of a response's `output` (absent or null: none), each read as `read_item` reads it.
pub fn output_items<'a>(response: &Object<'_, 'a>, path: &Path<'_>) -> Checked<Vec<ReadItem<'a>>> {
    let list_path = path.key("output");
    response
        .opt_list("output", path)?
        .iter()
        .enumerate()
        .map(|(i, item)| read_item(item, &list_path.index(i)))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn text_calls_reasoning_and_usage() {
        let body = br#"{"id":"resp_1","model":"m","created_at":7,"status":"completed",
            "output":[
              {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"think"}],
               "encrypted_content":"enc"},
              {"type":"message","content":[{"type":"output_text","text":"a"},{"type":"output_text","text":"b"}]},
              {"type":"function_call","call_id":"call_1","name":"f","arguments":"{\"x\":1}"}],
            "usage":{"input_tokens":5,"output_tokens":3,"total_tokens":8,
              "input_tokens_details":{"cached_tokens":2},"output_tokens_details":{"reasoning_tokens":1}}}"#;
        let parsed = parse_responses(body).unwrap();
        let choice = &parsed.completion.choices[0];
        assert_eq!(choice.message.content.as_deref(), Some("ab"));
        assert_eq!(choice.message.reasoning.as_deref(), Some("think"));
        assert_eq!(choice.message.tool_calls[0].name, "f");
        assert_eq!(choice.finish_reason.as_deref(), Some("completed"));
        assert_eq!(parsed.finish_reason, Some("tool_calls"));
        assert_eq!(
            parsed.reasoning_items[0].encrypted_content.as_deref(),
            Some("enc")
        );
        let usage = parsed.completion.usage.unwrap();
        assert_eq!(
            (usage.cache_read_tokens, usage.reasoning_tokens),
            (Some(2), Some(1))
        );
    }

    #[test]
    fn an_error_object_is_the_fault() {
        let error =
            parse_responses(br#"{"status":"failed","error":{"message":"boom"},"output":[]}"#)
                .unwrap_err();
        assert_eq!(error.path.as_deref(), Some("error"));
        assert!(error.message.ends_with("boom"));
    }

    #[test]
    fn incomplete_details_name_the_reason() {
        let parsed = parse_responses(
            br#"{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[]}"#,
        )
        .unwrap();
        let choice = &parsed.completion.choices[0];
        assert_eq!(choice.finish_reason.as_deref(), Some("max_output_tokens"));
        assert_eq!(parsed.finish_reason, None);
    }

    #[test]
    fn output_is_required() {
        let error = parse_responses(br#"{"status":"completed"}"#).unwrap_err();
        assert_eq!(error.path.as_deref(), Some("output"));
        assert_eq!(error.message, "missing required field");
        let error = parse_responses(br#"{"output":[{"type":"function_call"}]}"#).unwrap_err();
        assert_eq!(error.path.as_deref(), Some("output[0].name"));
    }
}
