//! Token usage from the `usage` object of any OpenAI-compatible server (docs/parsing-rules.md, 6).

use crate::error::{Checked, Path};
use crate::fields::{first, lax, opt_int, opt_object};
use crate::json::{Kind, Reader, Syn};

/// Token counts; `None` where the provider did not say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: Option<i128>,
    pub output_tokens: Option<i128>,
    pub total_tokens: Option<i128>,
    pub reasoning_tokens: Option<i128>,
    pub cache_read_tokens: Option<i128>,
    pub cache_write_tokens: Option<i128>,
    pub generated_images: Option<i128>,
    /// Parts of `cache_write_tokens` by the cache's time to live (Anthropic, Bedrock).
    pub cache_write_5m_tokens: Option<i128>,
    pub cache_write_1h_tokens: Option<i128>,
    /// Parts of `input_tokens` / `output_tokens` by modality, where the provider reports them.
    pub input_audio_tokens: Option<i128>,
    pub output_audio_tokens: Option<i128>,
    pub input_image_tokens: Option<i128>,
    pub output_image_tokens: Option<i128>,
    pub input_video_tokens: Option<i128>,
    /// Parts of `cache_read_tokens` by modality (Gemini).
    pub cache_audio_read_tokens: Option<i128>,
    pub cache_image_read_tokens: Option<i128>,
    pub cache_video_read_tokens: Option<i128>,
}

/// A count as read: absent and null are both `Ok(None)`; a later duplicate key replaces it.
type Count = Checked<Option<i128>>;

/// One `*_tokens_details` object (absent and null read as all counts absent).
struct Details {
    cached: Count,
    cache_write: Count,
    reasoning: Count,
    audio: Count,
    image: Count,
}

impl Default for Details {
    fn default() -> Self {
        Self {
            cached: Ok(None),
            cache_write: Ok(None),
            reasoning: Ok(None),
            audio: Ok(None),
            image: Ok(None),
        }
    }
}

fn details(r: &mut Reader<'_>, path: &Path<'_>) -> Syn<Checked<Details>> {
    let mut d = Details::default();
    let present = opt_object(r, path, |r, key| {
        match &*key {
            "cached_tokens" => d.cached = opt_int(r, &path.key("cached_tokens"))?,
            "cache_write_tokens" => d.cache_write = opt_int(r, &path.key("cache_write_tokens"))?,
            "reasoning_tokens" => d.reasoning = opt_int(r, &path.key("reasoning_tokens"))?,
            "audio_tokens" => d.audio = opt_int(r, &path.key("audio_tokens"))?,
            "image_tokens" => d.image = opt_int(r, &path.key("image_tokens"))?,
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok(present.map(|_| d))
}

/// Every member the rules read, as read.
struct Raw {
    prompt: Count,
    input: Count,
    completion: Count,
    output: Count,
    total: Count,
    reasoning: Count,
    cache_hit: Count,
    cached: Count,
    num_cached: Count,
    prompt_details: Checked<Details>,
    input_details: Checked<Details>,
    completion_details: Checked<Details>,
    output_details: Checked<Details>,
}

/// Reads the usage value (any JSON) at `path`: `None` for null. Usage is optional throughout, so
/// nothing in it fails the response: a value that is not an object, a details member that is not an
/// object, a count that is not an integer are left out and their paths added to `skipped`.
pub fn read_usage(
    r: &mut Reader<'_>,
    path: &Path<'_>,
    skipped: &mut Vec<String>,
) -> Syn<Option<Usage>> {
    if !matches!(r.kind()?, Kind::Object | Kind::Null) {
        r.skip()?;
        skipped.push(path.render());
        return Ok(None);
    }
    let mut raw = Raw {
        prompt: Ok(None),
        input: Ok(None),
        completion: Ok(None),
        output: Ok(None),
        total: Ok(None),
        reasoning: Ok(None),
        cache_hit: Ok(None),
        cached: Ok(None),
        num_cached: Ok(None),
        prompt_details: Ok(Details::default()),
        input_details: Ok(Details::default()),
        completion_details: Ok(Details::default()),
        output_details: Ok(Details::default()),
    };
    let present = opt_object(r, path, |r, key| {
        let at = |name| path.key(name);
        match &*key {
            "prompt_tokens" => raw.prompt = opt_int(r, &at("prompt_tokens"))?,
            "input_tokens" => raw.input = opt_int(r, &at("input_tokens"))?,
            "completion_tokens" => raw.completion = opt_int(r, &at("completion_tokens"))?,
            "output_tokens" => raw.output = opt_int(r, &at("output_tokens"))?,
            "total_tokens" => raw.total = opt_int(r, &at("total_tokens"))?,
            "reasoning_tokens" => raw.reasoning = opt_int(r, &at("reasoning_tokens"))?,
            "prompt_cache_hit_tokens" => {
                raw.cache_hit = opt_int(r, &at("prompt_cache_hit_tokens"))?
            }
            "cached_tokens" => raw.cached = opt_int(r, &at("cached_tokens"))?,
            "num_cached_tokens" => raw.num_cached = opt_int(r, &at("num_cached_tokens"))?,
            "prompt_tokens_details" => {
                raw.prompt_details = details(r, &at("prompt_tokens_details"))?
            }
            "input_tokens_details" => raw.input_details = details(r, &at("input_tokens_details"))?,
            "completion_tokens_details" => {
                raw.completion_details = details(r, &at("completion_tokens_details"))?;
            }
            "output_tokens_details" => {
                raw.output_details = details(r, &at("output_tokens_details"))?
            }
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok(match present {
        Ok(true) => Some(finish(raw, path, skipped)),
        _ => None,
    })
}

/// [`read_usage`] for callers that keep no record of what was left out.
pub fn parse_usage(r: &mut Reader<'_>, path: &Path<'_>) -> Syn<Checked<Option<Usage>>> {
    read_usage(r, path, &mut Vec::new()).map(Ok)
}

fn finish(raw: Raw, path: &Path<'_>, skipped: &mut Vec<String>) -> Usage {
    let details = |read: Checked<Details>, name: &'static str, skipped: &mut Vec<String>| {
        read.unwrap_or_else(|_| {
            skipped.push(path.key(name).render());
            Details::default()
        })
    };
    let prompt_d = details(raw.prompt_details, "prompt_tokens_details", skipped);
    let input_d = details(raw.input_details, "input_tokens_details", skipped);
    let completion_d = details(raw.completion_details, "completion_tokens_details", skipped);
    let output_d = details(raw.output_details, "output_tokens_details", skipped);
    let (pd, id) = (
        path.key("prompt_tokens_details"),
        path.key("input_tokens_details"),
    );
    let (cd, od) = (
        path.key("completion_tokens_details"),
        path.key("output_tokens_details"),
    );
    let mut count =
        |read: Count, at: &Path<'_>, name: &'static str| lax(read, &at.key(name), skipped);
    let input_tokens = first(&[
        count(raw.prompt, path, "prompt_tokens"),
        count(raw.input, path, "input_tokens"),
    ]);
    let output_tokens = first(&[
        count(raw.completion, path, "completion_tokens"),
        count(raw.output, path, "output_tokens"),
    ]);
    let total_tokens =
        count(raw.total, path, "total_tokens").or_else(|| Some(input_tokens? + output_tokens?));
    let reasoning_tokens = first(&[
        count(raw.reasoning, path, "reasoning_tokens"),
        count(completion_d.reasoning, &cd, "reasoning_tokens"),
        count(output_d.reasoning, &od, "reasoning_tokens"),
    ]);
    let cache_read_tokens = first(&[
        count(prompt_d.cached, &pd, "cached_tokens"),
        count(input_d.cached, &id, "cached_tokens"),
        count(raw.cache_hit, path, "prompt_cache_hit_tokens"),
        count(raw.cached, path, "cached_tokens"),
        count(raw.num_cached, path, "num_cached_tokens"),
    ]);
    let cache_write_tokens = first(&[
        count(prompt_d.cache_write, &pd, "cache_write_tokens"),
        count(input_d.cache_write, &id, "cache_write_tokens"),
    ]);
    // Parts priced apart: audio and image tokens, in whichever details object this API reports them.
    let input_audio_tokens = first(&[
        count(prompt_d.audio, &pd, "audio_tokens"),
        count(input_d.audio, &id, "audio_tokens"),
    ]);
    let output_audio_tokens = first(&[
        count(completion_d.audio, &cd, "audio_tokens"),
        count(output_d.audio, &od, "audio_tokens"),
    ]);
    let input_image_tokens = first(&[
        count(prompt_d.image, &pd, "image_tokens"),
        count(input_d.image, &id, "image_tokens"),
    ]);
    let output_image_tokens = first(&[
        count(completion_d.image, &cd, "image_tokens"),
        count(output_d.image, &od, "image_tokens"),
    ]);
    Usage {
        input_tokens,
        output_tokens,
        total_tokens,
        reasoning_tokens,
        cache_read_tokens,
        cache_write_tokens,
        input_audio_tokens,
        output_audio_tokens,
        input_image_tokens,
        output_image_tokens,
        ..Usage::default()
    }
}
