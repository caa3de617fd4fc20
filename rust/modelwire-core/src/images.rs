//! Image generation results (docs/parsing-rules.md, section 7).

use std::borrow::Cow;

use crate::chat;
use crate::error::{Checked, ParseError, Path};
use crate::fields::{self, ErrorField, keep_first, lax, opt_int, opt_str, wrong};
use crate::json::{Kind, Reader, Syn};
use crate::media::{Image, mime_from_format, sniff_mime};
use crate::usage::{Usage, read_usage};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageGeneration<'a> {
    pub images: Vec<Image<'a>>,
    pub usage: Option<Usage>,
    pub created: Option<i128>,
    pub model: Option<Cow<'a, str>>,
    /// Paths of the optional fields that could not be read and were left out, sorted.
    pub skipped: Vec<String>,
}

type Text<'a> = Checked<Option<Cow<'a, str>>>;

fn item<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<[Text<'a>; 3]>> {
    if r.kind()? != Kind::Object {
        return Ok(Err(wrong(r, "an object", path)?));
    }
    let mut slots: [Text<'a>; 3] = [Ok(None), Ok(None), Ok(None)];
    const NAMES: [&str; 3] = ["b64_json", "url", "revised_prompt"];
    r.object(|r, key| {
        match NAMES.iter().position(|n| *n == key) {
            Some(i) => {
                let value = opt_str(r, &path.key(NAMES.get(i).copied().unwrap_or("")))?;
                if let Some(slot) = slots.get_mut(i) {
                    *slot = value;
                }
            }
            None => r.skip()?,
        }
        Ok(())
    })?;
    Ok(Ok(slots))
}

fn read_endpoint<'a>(r: &mut Reader<'a>) -> Syn<Checked<ImageGeneration<'a>>> {
    let root = Path::ROOT;
    let mut items: Option<Checked<Option<Vec<[Text<'a>; 3]>>>> = None;
    let (mut format, mut created, mut model) = (Ok(None), Ok(None), Ok(None));
    let mut usage = (None, Vec::new());
    let mut error = ErrorField::Absent;
    r.object(|r, key| {
        match &*key {
            "data" => {
                let path = root.key("data");
                items = Some(match r.kind()? {
                    Kind::Array => {
                        let (mut list, mut fault) = (Vec::new(), None);
                        r.array(|r, i| {
                            if let Some(slots) = keep_first(&mut fault, item(r, &path.index(i))?) {
                                list.push(slots);
                            }
                            Ok(())
                        })?;
                        fault.map_or(Ok(Some(list)), Err)
                    }
                    Kind::Null => r.null().map(|_| Ok(None))?,
                    _ => Err(wrong(r, "an array", &path)?),
                });
            }
            "output_format" => format = opt_str(r, &root.key("output_format"))?,
            "created" => created = opt_int(r, &root.key("created"))?,
            "model" => model = opt_str(r, &root.key("model"))?,
            "usage" => {
                let mut skipped = Vec::new();
                usage = (read_usage(r, &root.key("usage"), &mut skipped)?, skipped);
            }
            "error" => error = fields::error_field(r)?,
            _ => r.skip()?,
        }
        Ok(())
    })?;
    let present = items.is_some();
    Ok((|| {
        let Some(items) = items.transpose()?.flatten() else {
            return Err(fields::missing_array(&error, present, "data"));
        };
        let (usage, mut skipped) = usage;
        let format = lax(format, &root.key("output_format"), &mut skipped);
        let format_mime = format.as_deref().and_then(mime_from_format);
        let data_path = root.key("data");
        let mut images = Vec::with_capacity(items.len());
        for (i, [b64_data, url, revised_prompt]) in items.into_iter().enumerate() {
            let b64_data = b64_data?;
            let mime = format_mime.or_else(|| b64_data.as_deref().and_then(sniff_mime));
            let item_path = data_path.index(i);
            let revised = &item_path.key("revised_prompt");
            images.push(Image {
                b64_data,
                mime_type: mime.map(Cow::Borrowed),
                url: url?,
                revised_prompt: lax(revised_prompt, revised, &mut skipped),
            });
        }
        let usage = chat::with_images(usage, images.len());
        let created = lax(created, &root.key("created"), &mut skipped);
        let model = lax(model, &root.key("model"), &mut skipped);
        skipped.sort_unstable();
        Ok(ImageGeneration {
            images,
            usage,
            created,
            model,
            skipped,
        })
    })())
}

/// Whether the last `data` is absent or null while the last `choices` is not: a chat-shaped body.
fn is_chat_shaped(r: &mut Reader<'_>) -> Syn<bool> {
    let (mut data, mut choices) = (false, false);
    r.object(|r, key| {
        let present = r.kind()? != Kind::Null;
        match &*key {
            "data" => data = present,
            "choices" => choices = present,
            _ => {}
        }
        r.skip()
    })?;
    Ok(!data && choices)
}

/// Parses an images-endpoint body, or a chat completion carrying images.
pub fn parse_image_generation(body: &[u8]) -> Result<ImageGeneration<'_>, ParseError> {
    let mut probe = fields::open(body)?;
    let shape = is_chat_shaped(&mut probe);
    let chat_shaped = fields::close(&mut probe, body, shape.map(Ok))?;
    let mut r = fields::open(body)?;
    if chat_shaped {
        let result = chat::read_object(&mut r);
        let completion = fields::close(&mut r, body, result)?;
        let images = completion
            .choices
            .into_iter()
            .flat_map(|c| c.message.images)
            .collect();
        return Ok(ImageGeneration {
            images,
            usage: completion.usage,
            created: completion.created,
            model: completion.model,
            skipped: completion.skipped,
        });
    }
    let result = read_endpoint(&mut r);
    fields::close(&mut r, body, result)
}
