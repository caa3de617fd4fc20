//! Gemini `generateContent` responses, Gemini API and Vertex AI (docs/parsing-rules-gemini.md; the twin
//! is `modelwire/parsing/pure/gemini.py`).
//!
//! A body and a stream chunk are the same `GenerateContentResponse`: `read` reads one into slots (a later
//! duplicate key replaces a slot, as orjson keeps the last value) and checks them in the twin's order,
//! applying nothing; `parse_gemini_content` builds a chat completion from it, the stream folder
//! (`stream/gemini.rs`) folds it.

use std::borrow::Cow;

use crate::chat::{ChatCompletion, Choice};
use crate::error::{Checked, Fault, ParseError, Path};
use crate::fields::{self, ErrorField, keep_first, opt_int, opt_object, opt_str, wrong};
use crate::json::{Kind, Number, Reader, Syn};
use crate::media::Image;
use crate::message::{
    Arguments, Message, ThinkingBlock, ToolCall, join, non_empty, text_slot, written,
};
use crate::usage::Usage;

pub mod embeddings;
pub mod partial;

use partial::{Piece, opt_bool, pieces};

type Text<'a> = Checked<Option<Cow<'a, str>>>;
type Count = Checked<Option<i128>>;

/// The API's `FinishReason` enum, for `enum-encoding=int` responses.
pub const FINISH_REASON_NUMBERS: [&str; 12] = [
    "FINISH_REASON_UNSPECIFIED",
    "STOP",
    "MAX_TOKENS",
    "SAFETY",
    "RECITATION",
    "OTHER",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "MALFORMED_FUNCTION_CALL",
    "IMAGE_SAFETY",
    "UNEXPECTED_TOOL_CALL",
];
const MALFORMED: &str = "MALFORMED_FUNCTION_CALL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    Text,
    Thought,
    Call,
    /// A piece of a streamed call (`partialArgs`, `willContinue`, or no `name`).
    Piece,
    Image,
    Other,
}

/// One `content.parts` entry, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    pub kind: PartKind,
    pub text: Option<Cow<'a, str>>,
    pub signature: Option<Cow<'a, str>>,
    pub call: Option<ToolCall<'a>>,
    pub image: Option<Image<'a>>,
    /// A streamed call's pieces, whether it goes on, the fault a body reports for it, its path.
    pub pieces: Vec<Piece<'a>>,
    pub will_continue: bool,
    pub body_fault: Option<Fault>,
    pub path: String,
}

/// One `candidates` entry, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate<'a> {
    pub index: i128,
    pub parts: Vec<Part<'a>>,
    /// As sent (an integer named by the enum); `None` for null, absent or "".
    pub finish: Option<Cow<'a, str>>,
    pub finish_message: Option<Cow<'a, str>>,
}

/// A block reason and its message.
pub type Block<'a> = (Cow<'a, str>, Option<Cow<'a, str>>);

/// `promptFeedback` as read: its members are checked only when there is no candidate.
#[derive(Default)]
pub struct Feedback<'a> {
    reason: Option<Text<'a>>,
    message: Option<Text<'a>>,
}

impl<'a> Feedback<'a> {
    /// The block reason and message, when the prompt was blocked.
    pub fn blocked(self) -> Checked<Option<Block<'a>>> {
        let reason = text_slot(self.reason)?;
        let message = text_slot(self.message)?;
        Ok(non_empty(reason).map(|reason| (reason, message)))
    }
}

/// A response (or chunk) checked in the twin's order.
pub struct Read<'a> {
    pub candidates: Vec<Candidate<'a>>,
    pub feedback: Option<Feedback<'a>>,
    pub usage: Option<Usage>,
    pub id: Option<Cow<'a, str>>,
    pub model: Option<Cow<'a, str>>,
    pub tier: Option<Cow<'a, str>>,
    pub error: ErrorField<'a>,
}

impl Read<'_> {
    /// The error for the first candidate that finished with `MALFORMED_FUNCTION_CALL`.
    pub fn malformed(&self) -> Option<ParseError> {
        let (position, candidate) = self
            .candidates
            .iter()
            .enumerate()
            .find(|(_, c)| c.finish.as_deref() == Some(MALFORMED))?;
        let detail = candidate
            .finish_message
            .as_deref()
            .filter(|m| !m.is_empty())
            .map_or(String::new(), |m| format!(": {m}"));
        Some(ParseError {
            message: format!("the model produced a malformed function call ({MALFORMED}){detail}"),
            path: Some(format!("candidates[{position}].finishReason")),
            offset: None,
            snippet: None,
        })
    }
}

// --- reading ---------------------------------------------------------------------------------------

#[derive(Default)]
struct RawCall<'a> {
    /// `partialArgs` or `willContinue` is present.
    streamed: bool,
    id: Option<Text<'a>>,
    name: Option<Text<'a>>,
    args: Option<Checked<Option<(usize, usize)>>>,
    pieces: Option<Checked<Vec<Piece<'a>>>>,
    more: Option<Checked<Option<bool>>>,
}

#[derive(Default)]
struct RawPart<'a> {
    signature: Option<Text<'a>>,
    thought: Option<Checked<Option<bool>>>,
    call: Option<Checked<Option<RawCall<'a>>>>,
    inline: Option<Checked<Option<[Option<Text<'a>>; 2]>>>,
    text: Option<Text<'a>>,
}

fn raw_call<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Option<RawCall<'a>>>> {
    let mut call = RawCall::default();
    let present = opt_object(r, path, |r, key| {
        match &*key {
            "id" => call.id = Some(opt_str(r, &path.key("id"))?),
            "name" => call.name = Some(opt_str(r, &path.key("name"))?),
            "args" => {
                call.args = Some(fields::opt_object_span(r, &path.key("args"))?);
            }
            "partialArgs" => {
                call.streamed = true;
                call.pieces = Some(pieces(r, &path.key("partialArgs"))?);
            }
            "willContinue" => {
                call.streamed = true;
                call.more = Some(opt_bool(r, &path.key("willContinue"))?);
            }
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok(present.map(|present| present.then_some(call)))
}

fn raw_inline<'a>(
    r: &mut Reader<'a>,
    path: &Path<'_>,
) -> Syn<Checked<Option<[Option<Text<'a>>; 2]>>> {
    let mut slots: [Option<Text<'a>>; 2] = [None, None];
    let present = opt_object(r, path, |r, key| {
        match &*key {
            "mimeType" => slots[0] = Some(opt_str(r, &path.key("mimeType"))?),
            "data" => slots[1] = Some(opt_str(r, &path.key("data"))?),
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok(present.map(|present| present.then_some(slots)))
}

fn part<'a>(r: &mut Reader<'a>, body: &'a str, path: &Path<'_>) -> Syn<Checked<Part<'a>>> {
    if r.kind()? != Kind::Object {
        return Ok(Err(wrong(r, "an object", path)?));
    }
    let mut raw = RawPart::default();
    r.object(|r, key| {
        match &*key {
            "thoughtSignature" => raw.signature = Some(opt_str(r, &path.key("thoughtSignature"))?),
            "thought" => raw.thought = Some(opt_bool(r, &path.key("thought"))?),
            "functionCall" => raw.call = Some(raw_call(r, &path.key("functionCall"))?),
            "inlineData" => raw.inline = Some(raw_inline(r, &path.key("inlineData"))?),
            "text" => raw.text = Some(opt_str(r, &path.key("text"))?),
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok(check_part(raw, body, path))
}

fn check_part<'a>(raw: RawPart<'a>, body: &'a str, path: &Path<'_>) -> Checked<Part<'a>> {
    let signature = text_slot(raw.signature)?;
    let thought = raw.thought.unwrap_or(Ok(None))?;
    let call = raw.call.transpose()?.flatten();
    let inline = raw.inline.transpose()?.flatten();
    let text = text_slot(raw.text)?;
    let mut part = Part {
        kind: PartKind::Other,
        text: None,
        signature,
        call: None,
        image: None,
        pieces: Vec::new(),
        will_continue: false,
        body_fault: None,
        path: String::new(),
    };
    if let Some(call) = call {
        let call_path = path.key("functionCall");
        let id = non_empty(text_slot(call.id)?);
        let name_present = call.name.is_some();
        let name = text_slot(call.name)?;
        let arguments = match call.args.unwrap_or(Ok(None))? {
            None => Arguments::Text(Cow::Borrowed("{}")),
            Some(span) => written(body, span, &call_path.key("args"))?,
        };
        let pieces = call.pieces.unwrap_or(Ok(Vec::new()))?;
        let more = call.more.unwrap_or(Ok(None))?.unwrap_or(false);
        part.kind = PartKind::Call;
        if call.streamed || name.is_none() {
            part.kind = PartKind::Piece;
            part.pieces = pieces;
            part.will_continue = more;
            part.path = call_path.render();
            part.body_fault = Some(if call.streamed {
                call_path.fault("streamed function-call arguments (partialArgs) are not supported")
            } else if name_present {
                call_path.key("name").fault("expected a string, got null")
            } else {
                call_path.key("name").fault("missing required field")
            });
        }
        part.call = Some(ToolCall {
            id,
            name: name.unwrap_or_default(),
            arguments,
        });
    } else if let Some([mime, data]) = inline {
        let mime = text_slot(mime)?;
        let data = text_slot(data)?;
        let is_image = mime.as_deref().is_some_and(|m| m.starts_with("image/"))
            && data.as_deref().is_some_and(|d| !d.is_empty());
        if is_image {
            part.kind = PartKind::Image;
            part.image = Some(Image {
                b64_data: data,
                mime_type: mime,
                url: None,
                revised_prompt: None,
            });
        }
    } else if text.is_some() {
        part.kind = if thought == Some(true) {
            PartKind::Thought
        } else {
            PartKind::Text
        };
        part.text = text;
    }
    Ok(part)
}

type Parts<'a> = Checked<Vec<Part<'a>>>;

/// `content` (object) and its `parts` (array): the outer fault is `content`'s type, then `parts`' type,
/// then the first part's fault.
fn content<'a>(
    r: &mut Reader<'a>,
    body: &'a str,
    path: &Path<'_>,
) -> Syn<Checked<Option<Parts<'a>>>> {
    let mut parts: Option<Checked<Option<Parts<'a>>>> = None;
    let parts_path = path.key("parts");
    let present = opt_object(r, path, |r, key| {
        if key != "parts" {
            return r.skip();
        }
        parts = Some(match r.kind()? {
            Kind::Array => {
                let (mut list, mut fault) = (Vec::new(), None);
                r.array(|r, i| {
                    if let Some(p) = keep_first(&mut fault, part(r, body, &parts_path.index(i))?) {
                        list.push(p);
                    }
                    Ok(())
                })?;
                Ok(Some(fault.map_or(Ok(list), Err)))
            }
            Kind::Null => r.null().map(|_| Ok(None))?,
            _ => Err(wrong(r, "an array", &parts_path)?),
        });
        Ok(())
    })?;
    Ok(present.and_then(|present| {
        if !present {
            return Ok(None);
        }
        Ok(parts.transpose()?.flatten())
    }))
}

fn finish_reason<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Text<'a>> {
    Ok(match r.kind()? {
        Kind::String => Ok(non_empty(Some(r.string()?))),
        Kind::Null => {
            r.null()?;
            Ok(None)
        }
        Kind::Number => match r.number()? {
            Number::Int(value) => Ok(Some(
                usize::try_from(value)
                    .ok()
                    .and_then(|i| FINISH_REASON_NUMBERS.get(i))
                    .map_or_else(
                        || Cow::Owned(value.to_string()),
                        |name| Cow::Borrowed(*name),
                    ),
            )),
            Number::Float(_) => Err(path.fault("expected a string or an integer, got number")),
        },
        _ => Err(wrong(r, "a string or an integer", path)?),
    })
}

fn candidate<'a>(
    r: &mut Reader<'a>,
    body: &'a str,
    position: usize,
    path: &Path<'_>,
) -> Syn<Checked<Candidate<'a>>> {
    if r.kind()? != Kind::Object {
        return Ok(Err(wrong(r, "an object", path)?));
    }
    let mut index: Option<Count> = None;
    let mut parts: Option<Checked<Option<Parts<'a>>>> = None;
    let mut finish: Option<Text<'a>> = None;
    let mut message: Option<Text<'a>> = None;
    r.object(|r, key| {
        match &*key {
            "index" => index = Some(opt_int(r, &path.key("index"))?),
            "content" => parts = Some(content(r, body, &path.key("content"))?),
            "finishReason" => finish = Some(finish_reason(r, &path.key("finishReason"))?),
            "finishMessage" => message = Some(opt_str(r, &path.key("finishMessage"))?),
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok((|| {
        let index = index.unwrap_or(Ok(None))?;
        let parts = match parts.transpose()?.flatten() {
            Some(parts) => parts?,
            None => Vec::new(),
        };
        Ok(Candidate {
            index: index.unwrap_or(position as i128),
            parts,
            finish: text_slot(finish)?,
            finish_message: text_slot(message)?,
        })
    })())
}

/// `usageMetadata` as read, in the twin's order of checks.
#[derive(Default)]
struct RawUsage<'a> {
    counts: [Option<Count>; 6],
    lists: [Option<Checked<Modalities>>; 4],
    tier: Option<Text<'a>>,
}

/// One `*TokensDetails` list as read: each entry's part (see [`modality_part`]) and `tokenCount`.
type Modalities = fields::Labelled;

/// The `{modality, tokenCount}` lists, in the twin's order of checks.
const MODALITY_LISTS: [&str; 4] = [
    "promptTokensDetails",
    "toolUsePromptTokensDetails",
    "candidatesTokensDetails",
    "cacheTokensDetails",
];

/// Vertex's `MediaModality` enum, by number (it may send the number instead of the name).
const MODALITY_NUMBERS: [&str; 6] = [
    "MODALITY_UNSPECIFIED",
    "TEXT",
    "IMAGE",
    "VIDEO",
    "AUDIO",
    "DOCUMENT",
];

/// The canonical part (an index into [`ModalityParts`]) a modality of list `list` adds to: input audio,
/// image (documents too) and video, output audio and image, cache-read audio, image and video.
fn modality_part(list: usize, modality: &str) -> Option<usize> {
    let part = match modality {
        "AUDIO" => 0,
        "IMAGE" | "DOCUMENT" => 1,
        "VIDEO" => 2,
        _ => return None,
    };
    match list {
        0 | 1 => Some(part),
        2 if part < 2 => Some(3 + part),
        3 => Some(5 + part),
        _ => None,
    }
}

type ModalityParts = [Option<i128>; 8];

/// The parts the lists add up to; the first fault in the twin's order (list by list, entry by entry).
fn modality_parts(lists: [Option<Checked<Modalities>>; 4]) -> Checked<ModalityParts> {
    let mut parts: ModalityParts = [None; 8];
    for read in lists.into_iter().flatten() {
        fields::add_labelled(&mut parts, read?);
    }
    Ok(parts)
}

const USAGE_FIELDS: [&str; 6] = [
    "promptTokenCount",
    "toolUsePromptTokenCount",
    "candidatesTokenCount",
    "thoughtsTokenCount",
    "cachedContentTokenCount",
    "totalTokenCount",
];

fn raw_usage<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Option<RawUsage<'a>>>> {
    let mut raw = RawUsage::default();
    let present = opt_object(r, path, |r, key| {
        if key == "serviceTier" {
            raw.tier = Some(opt_str(r, &path.key("serviceTier"))?);
            return Ok(());
        }
        if let Some(j) = MODALITY_LISTS.iter().position(|name| *name == key) {
            let name = MODALITY_LISTS.get(j).copied().unwrap_or_default();
            let list = fields::labelled_counts(
                r,
                &path.key(name),
                ("modality", "tokenCount"),
                &MODALITY_NUMBERS,
                |modality| modality_part(j, modality),
            )?;
            if let Some(slot) = raw.lists.get_mut(j) {
                *slot = Some(list);
            }
            return Ok(());
        }
        match USAGE_FIELDS.iter().position(|name| *name == key) {
            Some(i) => {
                let name = USAGE_FIELDS.get(i).copied().unwrap_or_default();
                let value = opt_int(r, &path.key(name))?;
                if let Some(slot) = raw.counts.get_mut(i) {
                    *slot = Some(value);
                }
                Ok(())
            }
            None => r.skip(),
        }
    })?;
    Ok(present.map(|present| present.then_some(raw)))
}

fn add(a: Option<i128>, b: Option<i128>) -> Option<i128> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
    }
}

/// The canonical usage: thoughts count as output, tool-use prompt tokens as input (section 4).
fn usage(
    counts: [Option<Count>; 6],
    lists: [Option<Checked<Modalities>>; 4],
) -> Checked<Option<Usage>> {
    let mut values = [None; 6];
    for (value, count) in values.iter_mut().zip(counts) {
        *value = count.unwrap_or(Ok(None))?;
    }
    let [prompt, tool_prompt, candidates, thoughts, cached, total] = values;
    let [
        input_audio,
        input_image,
        input_video,
        output_audio,
        output_image,
        cache_audio,
        cache_image,
        cache_video,
    ] = modality_parts(lists)?;
    let input = add(prompt, tool_prompt);
    let output = add(candidates, thoughts);
    let total = total.or_else(|| input.zip(output).map(|(i, o)| i.saturating_add(o)));
    if input.is_none() && output.is_none() && total.is_none() && cached.is_none() {
        return Ok(None);
    }
    Ok(Some(Usage {
        input_tokens: input,
        output_tokens: output,
        total_tokens: total,
        reasoning_tokens: thoughts,
        cache_read_tokens: cached,
        input_audio_tokens: input_audio,
        output_audio_tokens: output_audio,
        input_image_tokens: input_image,
        output_image_tokens: output_image,
        input_video_tokens: input_video,
        cache_audio_read_tokens: cache_audio,
        cache_image_read_tokens: cache_image,
        cache_video_read_tokens: cache_video,
        ..Usage::default()
    }))
}

fn feedback<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Option<Feedback<'a>>>> {
    let mut feedback = Feedback::default();
    let present = opt_object(r, path, |r, key| {
        match &*key {
            "blockReason" => feedback.reason = Some(opt_str(r, &path.key("blockReason"))?),
            "blockReasonMessage" => {
                feedback.message = Some(opt_str(r, &path.key("blockReasonMessage"))?)
            }
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok(present.map(|present| present.then_some(feedback)))
}

type Candidates<'a> = Checked<Option<Vec<Checked<Candidate<'a>>>>>;

/// Reads a `GenerateContentResponse` object: syntax errors out, shape faults (in the twin's order) in.
pub fn read<'a>(r: &mut Reader<'a>) -> Syn<Checked<Read<'a>>> {
    let root = Path::ROOT;
    let body = r.text_between(0, r.bytes().len());
    let mut candidates: Option<Candidates<'a>> = None;
    let mut feedback_slot = None;
    let mut usage_slot = None;
    let mut id = None;
    let mut model = None;
    let mut error = ErrorField::Absent;
    r.object(|r, key| {
        match &*key {
            "candidates" => {
                let path = root.key("candidates");
                candidates = Some(match r.kind()? {
                    Kind::Array => {
                        let mut list = Vec::new();
                        r.array(|r, i| {
                            list.push(candidate(r, body, i, &path.index(i))?);
                            Ok(())
                        })?;
                        Ok(Some(list))
                    }
                    Kind::Null => r.null().map(|_| Ok(None))?,
                    _ => Err(wrong(r, "an array", &path)?),
                });
            }
            "promptFeedback" => feedback_slot = Some(feedback(r, &root.key("promptFeedback"))?),
            "usageMetadata" => usage_slot = Some(raw_usage(r, &root.key("usageMetadata"))?),
            "responseId" => id = Some(opt_str(r, &root.key("responseId"))?),
            "modelVersion" => model = Some(opt_str(r, &root.key("modelVersion"))?),
            "error" => error = fields::error_field(r)?,
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok((|| {
        let candidates = candidates.transpose()?.flatten();
        let feedback = feedback_slot.transpose()?.flatten();
        let raw = usage_slot.transpose()?.flatten();
        let (counts, tier) = match raw {
            Some(raw) => (Some((raw.counts, raw.lists)), Some(raw.tier)),
            None => (None, None),
        };
        let usage = match counts {
            Some((counts, lists)) => usage(counts, lists)?,
            None => None,
        };
        let id = text_slot(id)?;
        let model = text_slot(model)?;
        let tier = match tier {
            Some(tier) => text_slot(tier)?,
            None => None,
        };
        let candidates = candidates
            .unwrap_or_default()
            .into_iter()
            .collect::<Checked<Vec<_>>>()?;
        Ok(Read {
            candidates,
            feedback,
            usage,
            id,
            model,
            tier,
            error,
        })
    })())
}

// --- bodies ----------------------------------------------------------------------------------------

/// What a body says: a completion, or that the prompt was blocked before any candidate. Returned once
/// per parse and never stored, so the completion is not boxed (that would cost an allocation per body).
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum Outcome<'a> {
    Completion(ChatCompletion<'a>),
    Blocked {
        reason: Cow<'a, str>,
        message: Option<Cow<'a, str>>,
    },
}

/// The message of one candidate (section 3): consecutive thought parts are one thinking block; a
/// signature on any other part is a signature-only block.
pub fn message<'a>(parts: Vec<Part<'a>>) -> Message<'a> {
    let mut texts = Vec::new();
    let mut reasoning = String::new();
    let mut thinking: Vec<ThinkingBlock<'a>> = Vec::new();
    let mut calls = Vec::new();
    let mut images = Vec::new();
    let mut thought_open = false;
    for part in parts {
        if part.kind == PartKind::Thought {
            let text = part.text.unwrap_or_default();
            reasoning.push_str(&text);
            match thinking.last_mut().filter(|_| thought_open) {
                Some(block) => {
                    let mut joined = block.thinking.take().unwrap_or_default().into_owned();
                    joined.push_str(&text);
                    block.thinking = Some(Cow::Owned(joined));
                    // As the twin's `part.signature or block.signature`: "" keeps the earlier one.
                    if part.signature.as_deref().is_some_and(|s| !s.is_empty()) {
                        block.signature = part.signature;
                    }
                }
                None => thinking.push(ThinkingBlock {
                    thinking: Some(text),
                    signature: part.signature,
                    redacted_data: None,
                }),
            }
            thought_open = true;
            continue;
        }
        thought_open = false;
        if part.signature.is_some() {
            thinking.push(ThinkingBlock {
                thinking: None,
                signature: part.signature,
                redacted_data: None,
            });
        }
        match part.kind {
            PartKind::Text => texts.extend(part.text),
            PartKind::Call => calls.extend(part.call),
            PartKind::Image => images.extend(part.image),
            PartKind::Thought | PartKind::Piece | PartKind::Other => {}
        }
    }
    Message {
        content: join(texts, ""),
        reasoning: (!reasoning.is_empty()).then_some(Cow::Owned(reasoning)),
        refusal: None,
        tool_calls: calls,
        images,
        thinking_blocks: thinking,
        // Read strictly (as the Responses parser): nothing is skipped.
        skipped: Vec::new(),
    }
}

fn error_fault(error: &ErrorField<'_>) -> Option<Fault> {
    match error {
        ErrorField::Absent => None,
        ErrorField::Text(text) => Some(Path::ROOT.key("error").fault(format!(
            "the response holds an error instead of a result: {text}"
        ))),
    }
}

fn assemble(mut read: Read<'_>) -> Result<Outcome<'_>, ParseError> {
    // Pieces of a streamed call belong to streams only.
    let piece = read
        .candidates
        .iter()
        .flat_map(|c| &c.parts)
        .find_map(|p| p.body_fault.clone());
    if let Some(fault) = piece {
        return Err(ParseError::fault(fault));
    }
    if read.candidates.is_empty() {
        if let Some(fault) = error_fault(&read.error) {
            return Err(ParseError::fault(fault));
        }
        if let Some(feedback) = read.feedback.take() {
            if let Some((reason, message)) = feedback.blocked()? {
                return Ok(Outcome::Blocked { reason, message });
            }
        }
    }
    if let Some(error) = read.malformed() {
        return Err(error);
    }
    let choices = read
        .candidates
        .into_iter()
        .map(|candidate| Choice {
            index: candidate.index,
            message: message(candidate.parts),
            finish_reason: candidate.finish,
            logprobs: None,
        })
        .collect();
    Ok(Outcome::Completion(ChatCompletion {
        id: read.id,
        model: read.model,
        created: None,
        choices,
        usage: read.usage,
        system_fingerprint: None,
        service_tier: read.tier,
        skipped: Vec::new(),
    }))
}

/// Parses a `generateContent` body.
pub fn parse_gemini_content(body: &[u8]) -> Result<Outcome<'_>, ParseError> {
    let mut r = fields::open(body)?;
    let result = read(&mut r);
    let read = fields::close(&mut r, body, result)?;
    assemble(read)
}

/// The error text of a blocked prompt (the binding raises `ContentPolicyError` with it).
pub fn blocked_message(reason: &str, message: Option<&str>) -> String {
    match message.filter(|m| !m.is_empty()) {
        Some(message) => format!("the prompt was blocked ({reason}): {message}"),
        None => format!("the prompt was blocked ({reason})"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests;
