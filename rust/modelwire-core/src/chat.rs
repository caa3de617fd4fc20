//! OpenAI-format chat completions (docs/parsing-rules.md, section 3).

use std::borrow::Cow;

use crate::error::{Checked, ParseError, Path};
use crate::fields::{self, ErrorField, keep_first, lax, opt_int, opt_object, opt_str, wrong};
use crate::json::{Kind, Reader, Syn};
use crate::message::{Message, message};
use crate::usage::{Usage, read_usage};

#[derive(Debug, Clone, PartialEq)]
pub struct Choice<'a> {
    pub index: i128,
    pub message: Message<'a>,
    /// As sent; `None` for null, absent or "".
    pub finish_reason: Option<Cow<'a, str>>,
    /// Byte range of the `logprobs` value when it is not null (kept as plain JSON).
    pub logprobs: Option<(usize, usize)>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatCompletion<'a> {
    pub id: Option<Cow<'a, str>>,
    pub model: Option<Cow<'a, str>>,
    pub created: Option<i128>,
    pub choices: Vec<Choice<'a>>,
    pub usage: Option<Usage>,
    pub system_fingerprint: Option<Cow<'a, str>>,
    pub service_tier: Option<Cow<'a, str>>,
    /// Paths of the optional fields that could not be read and were left out, sorted.
    pub skipped: Vec<String>,
}

type Text<'a> = Checked<Option<Cow<'a, str>>>;

fn choice<'a>(r: &mut Reader<'a>, position: usize, path: &Path<'_>) -> Syn<Checked<Choice<'a>>> {
    let mut index = None;
    let mut msg = None;
    let mut finish: Option<Text<'a>> = None;
    let mut logprobs = None;
    let present = opt_object(r, path, |r, key| {
        match &*key {
            "index" => index = Some(opt_int(r, &path.key("index"))?),
            "message" => msg = Some(message(r, &path.key("message"))?),
            "finish_reason" => finish = Some(opt_str(r, &path.key("finish_reason"))?),
            "logprobs" => {
                logprobs = if r.null()? { None } else { Some(r.span()?) };
            }
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok((|| {
        if !present? {
            // A null choice is not an object either.
            return Err(path.fault("expected an object, got null"));
        }
        let mut message: Message<'a> = msg.unwrap_or(Ok(None))?.unwrap_or_default();
        // The choice's own optional members are recorded with its message's.
        let skipped = &mut message.skipped;
        let index = lax(index.unwrap_or(Ok(None)), &path.key("index"), skipped);
        let finish = lax(
            finish.unwrap_or(Ok(None)),
            &path.key("finish_reason"),
            skipped,
        );
        let finish_reason = finish.filter(|f| !f.is_empty());
        let index = index.unwrap_or(position as i128);
        Ok(Choice {
            index,
            message,
            finish_reason,
            logprobs,
        })
    })())
}

/// Reads the `choices` array (required); `None` when it is null.
fn choices<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Option<Vec<Choice<'a>>>>> {
    Ok(match r.kind()? {
        Kind::Array => {
            let (mut list, mut fault) = (Vec::new(), None);
            r.array(|r, i| {
                if let Some(c) = keep_first(&mut fault, choice(r, i, &path.index(i))?) {
                    list.push(c);
                }
                Ok(())
            })?;
            fault.map_or(Ok(Some(list)), Err)
        }
        Kind::Null => {
            r.null()?;
            Ok(None)
        }
        _ => Err(wrong(r, "an array", path)?),
    })
}

/// Reads a chat completion's members from the object at the reader (shared with image responses).
pub fn read_object<'a>(r: &mut Reader<'a>) -> Syn<Checked<ChatCompletion<'a>>> {
    let root = Path::ROOT;
    let mut text: [Option<Text<'a>>; 4] = Default::default();
    let mut created = None;
    let mut list = None;
    let mut usage: Option<(Option<Usage>, Vec<String>)> = None;
    let mut error = ErrorField::Absent;
    r.object(|r, key| {
        let slot = match &*key {
            "id" => 0,
            "model" => 1,
            "system_fingerprint" => 2,
            "service_tier" => 3,
            "created" => {
                created = Some(opt_int(r, &root.key("created"))?);
                return Ok(());
            }
            "choices" => {
                list = Some(choices(r, &root.key("choices"))?);
                return Ok(());
            }
            "usage" => {
                let mut skipped = Vec::new();
                usage = Some((read_usage(r, &root.key("usage"), &mut skipped)?, skipped));
                return Ok(());
            }
            "error" => {
                error = fields::error_field(r)?;
                return Ok(());
            }
            _ => return r.skip(),
        };
        let name = ["id", "model", "system_fingerprint", "service_tier"]
            .get(slot)
            .copied()
            .unwrap_or("");
        let value = opt_str(r, &root.key(name))?;
        if let Some(s) = text.get_mut(slot) {
            *s = Some(value);
        }
        Ok(())
    })?;
    let choices_present = list.is_some();
    Ok((|| {
        let choices = match list {
            Some(read) => read?,
            None => None,
        };
        let Some(choices) = choices else {
            return Err(fields::missing_array(&error, choices_present, "choices"));
        };
        let [id, model, system_fingerprint, service_tier] = text;
        let (usage, mut skipped) = usage.unwrap_or_default();
        for choice in &choices {
            skipped.extend(choice.message.skipped.iter().cloned());
        }
        let mut text = |slot: Option<Text<'a>>, name: &'static str| {
            lax(slot.unwrap_or(Ok(None)), &root.key(name), &mut skipped)
        };
        let id = text(id, "id");
        let model = text(model, "model");
        let system_fingerprint = text(system_fingerprint, "system_fingerprint");
        let service_tier = text(service_tier, "service_tier");
        let created = lax(
            created.unwrap_or(Ok(None)),
            &root.key("created"),
            &mut skipped,
        );
        let images: usize = choices.iter().map(|c| c.message.images.len()).sum();
        skipped.sort_unstable();
        Ok(ChatCompletion {
            id,
            model,
            created,
            choices,
            usage: with_images(usage, images),
            system_fingerprint,
            service_tier,
            skipped,
        })
    })())
}

/// Parses a chat completion body.
pub fn parse_chat_completion(body: &[u8]) -> Result<ChatCompletion<'_>, ParseError> {
    let mut r = fields::open(body)?;
    let result = read_object(&mut r);
    fields::close(&mut r, body, result)
}

/// Usage with the number of images returned (a usage of its own when the provider sent none).
pub fn with_images(usage: Option<Usage>, images: usize) -> Option<Usage> {
    if images == 0 {
        return usage;
    }
    let count = i128::try_from(images).ok();
    Some(Usage {
        generated_images: count,
        ..usage.unwrap_or_default()
    })
}
