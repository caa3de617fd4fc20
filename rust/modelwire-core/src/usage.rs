//! Token usage from the `usage` object of any OpenAI-compatible server (docs/parsing-rules.md, 6).

use crate::error::{Checked, Path};
use crate::fields::{first, opt_int, opt_object};
use crate::json::{Reader, Syn};

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
}

/// A count as read: absent and null are both `Ok(None)`; a later duplicate key replaces it.
type Count = Checked<Option<i128>>;

/// One `*_tokens_details` object (absent and null read as all counts absent).
struct Details {
    cached: Count,
    cache_write: Count,
    reasoning: Count,
}

impl Default for Details {
    fn default() -> Self {
        Self {
            cached: Ok(None),
            cache_write: Ok(None),
            reasoning: Ok(None),
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

/// Reads the usage value (any JSON) at `path`; `Ok(None)` for null. Counts are never invented.
pub fn parse_usage(r: &mut Reader<'_>, path: &Path<'_>) -> Syn<Checked<Option<Usage>>> {
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
    Ok(present.and_then(|present| {
        if present {
            finish(raw).map(Some)
        } else {
            Ok(None)
        }
    }))
}

fn finish(raw: Raw) -> Checked<Usage> {
    let (prompt_d, input_d) = (raw.prompt_details?, raw.input_details?);
    let (completion_d, output_d) = (raw.completion_details?, raw.output_details?);
    let input_tokens = first(&[raw.prompt?, raw.input?]);
    let output_tokens = first(&[raw.completion?, raw.output?]);
    let total_tokens = raw.total?.or_else(|| Some(input_tokens? + output_tokens?));
    let reasoning_tokens = first(&[raw.reasoning?, completion_d.reasoning?, output_d.reasoning?]);
    let cache_read_tokens = first(&[
        prompt_d.cached?,
        input_d.cached?,
        raw.cache_hit?,
        raw.cached?,
        raw.num_cached?,
    ]);
    let cache_write_tokens = first(&[prompt_d.cache_write?, input_d.cache_write?]);
    Ok(Usage {
        input_tokens,
        output_tokens,
        total_tokens,
        reasoning_tokens,
        cache_read_tokens,
        cache_write_tokens,
        generated_images: None,
    })
}
