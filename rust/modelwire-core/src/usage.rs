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

type Count = Checked<Option<i128>>;

#[derive(Default)]
struct Details {
    cached: Option<Count>,
    cache_write: Option<Count>,
    reasoning: Option<Count>,
}

fn details(r: &mut Reader<'_>, path: &Path<'_>) -> Syn<Checked<Details>> {
    let mut d = Details::default();
    let present = opt_object(r, path, |r, key| {
        match &*key {
            "cached_tokens" => d.cached = Some(opt_int(r, &path.key("cached_tokens"))?),
            "cache_write_tokens" => {
                d.cache_write = Some(opt_int(r, &path.key("cache_write_tokens"))?)
            }
            "reasoning_tokens" => d.reasoning = Some(opt_int(r, &path.key("reasoning_tokens"))?),
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok(present.map(|_| d))
}

fn count(slot: Option<Count>) -> Checked<Option<i128>> {
    slot.unwrap_or(Ok(None))
}

const COUNT_NAMES: [&str; 9] = [
    "prompt_tokens",
    "input_tokens",
    "completion_tokens",
    "output_tokens",
    "total_tokens",
    "reasoning_tokens",
    "prompt_cache_hit_tokens",
    "cached_tokens",
    "num_cached_tokens",
];
const DETAIL_NAMES: [&str; 4] = [
    "prompt_tokens_details",
    "input_tokens_details",
    "completion_tokens_details",
    "output_tokens_details",
];

/// Reads the usage value (any JSON) at `path`; `Ok(None)` for null. Counts are never invented.
pub fn parse_usage(r: &mut Reader<'_>, path: &Path<'_>) -> Syn<Checked<Option<Usage>>> {
    let mut counts: [Option<Count>; 9] = Default::default();
    let mut sections: [Option<Checked<Details>>; 4] = Default::default();
    let present = opt_object(r, path, |r, key| {
        if let Some((i, name)) = COUNT_NAMES.iter().enumerate().find(|(_, n)| **n == key) {
            let value = opt_int(r, &path.key(name))?;
            if let Some(slot) = counts.get_mut(i) {
                *slot = Some(value);
            }
        } else if let Some((i, name)) = DETAIL_NAMES.iter().enumerate().find(|(_, n)| **n == key) {
            let value = details(r, &path.key(name))?;
            if let Some(slot) = sections.get_mut(i) {
                *slot = Some(value);
            }
        } else {
            r.skip()?;
        }
        Ok(())
    })?;
    Ok(present.and_then(|present| {
        if present {
            finish(counts, sections).map(Some)
        } else {
            Ok(None)
        }
    }))
}

fn finish(counts: [Option<Count>; 9], sections: [Option<Checked<Details>>; 4]) -> Checked<Usage> {
    let [
        prompt,
        input,
        completion,
        output,
        total,
        reasoning,
        hit,
        cached,
        num_cached,
    ] = counts;
    let [prompt_d, input_d, completion_d, output_d] = sections;
    let section = |s: Option<Checked<Details>>| s.unwrap_or_else(|| Ok(Details::default()));
    let (prompt_d, input_d) = (section(prompt_d)?, section(input_d)?);
    let (completion_d, output_d) = (section(completion_d)?, section(output_d)?);
    let input_tokens = first(&[count(prompt)?, count(input)?]);
    let output_tokens = first(&[count(completion)?, count(output)?]);
    let total_tokens = count(total)?.or_else(|| Some(input_tokens? + output_tokens?));
    let reasoning_tokens = first(&[
        count(reasoning)?,
        count(completion_d.reasoning)?,
        count(output_d.reasoning)?,
    ]);
    let cache_read_tokens = first(&[
        count(prompt_d.cached)?,
        count(input_d.cached)?,
        count(hit)?,
        count(cached)?,
        count(num_cached)?,
    ]);
    let cache_write_tokens = first(&[count(prompt_d.cache_write)?, count(input_d.cache_write)?]);
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
