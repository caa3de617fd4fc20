//! Core results to the canonical Python types (`modelwire.types`).

use std::borrow::Cow;

use modelwire_core::chat::{ChatCompletion, Choice};
use modelwire_core::embeddings::Embeddings;
use modelwire_core::error::ParseError;
use modelwire_core::finish;
use modelwire_core::images::ImageGeneration;
use modelwire_core::json::Reader;
use modelwire_core::media::Image;
use modelwire_core::message::{Arguments, Message, ThinkingBlock, ToolCall};
use modelwire_core::responses::{ReasoningItem, Responses};
use modelwire_core::usage::Usage;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyNone, PyString};

use crate::classes::Types;
use crate::errors::parse_error;
use crate::values::{self, BuildError};

/// What every conversion needs: the cached types, the body and the provider label.
pub struct Context<'a, 'py> {
    pub py: Python<'py>,
    pub types: &'a Types,
    pub body: &'a Bound<'py, PyBytes>,
    pub provider: &'a Bound<'py, PyString>,
}

fn none(py: Python<'_>) -> Bound<'_, PyAny> {
    PyNone::get(py).to_owned().into_any()
}

fn text<'py>(py: Python<'py>, value: Option<&Cow<'_, str>>) -> PyResult<Bound<'py, PyAny>> {
    value.map_or_else(|| Ok(none(py)), |s| Ok(values::string(py, s)?.into_any()))
}

fn int<'py>(py: Python<'py>, value: Option<i128>) -> PyResult<Bound<'py, PyAny>> {
    value.map_or_else(|| Ok(none(py)), |v| values::int(py, v))
}

impl<'py> Context<'_, 'py> {
    fn span(&self, (start, end): (usize, usize)) -> PyResult<Bound<'py, PyAny>> {
        let body = self.body.as_bytes();
        let text =
            std::str::from_utf8(body.get(start..end).unwrap_or_default()).unwrap_or_default();
        values::build(self.py, &mut Reader::over(text)).map_err(|error| match error {
            BuildError::Python(error) => error,
            // The span was checked with the whole body, so this cannot happen; if it did, it is
            // still the body that is wrong.
            BuildError::Syntax(error) => {
                parse_error(self.py, ParseError::syntax(&error, body), self.provider)
            }
        })
    }

    pub fn usage(&self, usage: Option<&Usage>) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        let Some(u) = usage else { return Ok(none(py)) };
        let source = if u.reasoning_tokens.is_some() {
            self.types.provider_source.bind(py).clone().into_any()
        } else {
            none(py)
        };
        self.types.usage.build(
            py,
            [
                int(py, u.input_tokens)?,
                int(py, u.output_tokens)?,
                int(py, u.total_tokens)?,
                int(py, u.reasoning_tokens)?,
                int(py, u.cache_read_tokens)?,
                int(py, u.cache_write_tokens)?,
                source,
                int(py, u.generated_images)?,
                int(py, u.cache_write_5m_tokens)?,
                int(py, u.cache_write_1h_tokens)?,
                int(py, u.input_audio_tokens)?,
                int(py, u.output_audio_tokens)?,
                int(py, u.input_image_tokens)?,
                int(py, u.output_image_tokens)?,
                int(py, u.input_video_tokens)?,
                int(py, u.cache_audio_read_tokens)?,
                int(py, u.cache_image_read_tokens)?,
                int(py, u.cache_video_read_tokens)?,
            ],
        )
    }

    /// The paths left out, as a list; a non-empty one is also logged once (at DEBUG).
    fn skipped(&self, skipped: &[String]) -> PyResult<Bound<'py, PyAny>> {
        let list = PyList::new(self.py, skipped)?;
        if !skipped.is_empty() {
            self.types
                .log_skipped
                .bind(self.py)
                .call1((self.provider, &list))?;
        }
        Ok(list.into_any())
    }

    pub fn image(&self, image: &Image<'_>) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        self.types.image.build(
            py,
            [
                text(py, image.b64_data.as_ref())?,
                text(py, image.mime_type.as_ref())?,
                text(py, image.url.as_ref())?,
                text(py, image.revised_prompt.as_ref())?,
            ],
        )
    }

    pub fn images(&self, images: &[Image<'_>]) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(self.py);
        for image in images {
            list.append(self.image(image)?)?;
        }
        Ok(list)
    }

    fn tool_call(&self, call: &ToolCall<'_>) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        let id = match &call.id {
            Some(id) => values::string(py, id)?.into_any(),
            None => self.types.new_tool_call_id.bind(py).call0()?,
        };
        let (arguments_json, parsed) = match &call.arguments {
            Arguments::Text(json) => {
                // Parsed now when it is a JSON object; otherwise left for ToolCall.arguments to raise.
                let parsed = match values::document(py, json) {
                    Ok(value) if value.is_exact_instance_of::<pyo3::types::PyDict>() => value,
                    Ok(_) | Err(BuildError::Syntax(_)) => self.types.unset_chat.bind(py).clone(),
                    Err(BuildError::Python(error)) => return Err(error),
                };
                (values::string(py, json)?.into_any(), parsed)
            }
            Arguments::Written { start, end, json } => (
                values::string(py, json)?.into_any(),
                self.span((*start, *end))?,
            ),
        };
        self.types.tool_call.build(
            py,
            [
                id,
                values::string(py, &call.name)?.into_any(),
                arguments_json,
                parsed,
            ],
        )
    }

    fn thinking_block(&self, block: &ThinkingBlock<'_>) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        self.types.thinking_block.build(
            py,
            [
                text(py, block.thinking.as_ref())?,
                text(py, block.signature.as_ref())?,
                text(py, block.redacted_data.as_ref())?,
            ],
        )
    }

    fn reasoning_item(&self, item: &ReasoningItem<'_>) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        let texts = |parts: &[Cow<'_, str>]| -> PyResult<Bound<'py, PyAny>> {
            let list = PyList::empty(py);
            for part in parts {
                list.append(values::string(py, part)?)?;
            }
            Ok(list.into_any())
        };
        self.types.reasoning_item.build(
            py,
            [
                text(py, item.id.as_ref())?,
                texts(&item.summary)?,
                texts(&item.content)?,
                text(py, item.encrypted_content.as_ref())?,
            ],
        )
    }

    fn message(
        &self,
        message: &Message<'_>,
        items: &[ReasoningItem<'_>],
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        let calls = PyList::empty(py);
        for call in &message.tool_calls {
            calls.append(self.tool_call(call)?)?;
        }
        let thinking = PyList::empty(py);
        for block in &message.thinking_blocks {
            thinking.append(self.thinking_block(block)?)?;
        }
        let kept = PyList::empty(py);
        for item in items {
            kept.append(self.reasoning_item(item)?)?;
        }
        self.types.message.build(
            py,
            [
                text(py, message.content.as_ref())?,
                text(py, message.reasoning.as_ref())?,
                calls.into_any(),
                self.images(&message.images)?.into_any(),
                text(py, message.refusal.as_ref())?,
                thinking.into_any(),
                kept.into_any(),
            ],
        )
    }

    /// A choice; `reason` is the canonical finish reason when the format decided it, and `items` the
    /// message's reasoning items.
    fn choice(
        &self,
        choice: &Choice<'_>,
        reason: Option<&'static str>,
        items: &[ReasoningItem<'_>],
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        let native = choice.finish_reason.as_ref();
        let normalised = reason
            .or_else(|| native.and_then(|n| finish::normalise(n)))
            .map(|n| self.types.finish_reason(py, n).into_any());
        let logprobs = match choice.logprobs {
            Some(span) => self.span(span)?,
            None => none(py),
        };
        let native = match native {
            Some(n) => self.types.repeated(py, n)?.into_any(),
            None => none(py),
        };
        self.types.choice.build(
            py,
            [
                values::int(py, choice.index)?,
                self.message(&choice.message, items)?,
                normalised.unwrap_or_else(|| none(py)),
                native,
                logprobs,
            ],
        )
    }

    pub fn chat(&self, completion: &ChatCompletion<'_>) -> PyResult<Bound<'py, PyAny>> {
        self.chat_with(completion, None, &[])
    }

    /// A Responses API body: one choice, with its decided finish reason and reasoning items.
    pub fn responses(&self, read: &Responses<'_>) -> PyResult<Bound<'py, PyAny>> {
        self.chat_with(&read.completion, read.finish_reason, &read.reasoning_items)
    }

    fn chat_with(
        &self,
        completion: &ChatCompletion<'_>,
        reason: Option<&'static str>,
        items: &[ReasoningItem<'_>],
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        let choices = PyList::empty(py);
        for choice in &completion.choices {
            choices.append(self.choice(choice, reason, items)?)?;
        }
        self.types.chat.build(
            py,
            [
                text(py, completion.id.as_ref())?,
                text(py, completion.model.as_ref())?,
                int(py, completion.created)?,
                choices.into_any(),
                self.usage(completion.usage.as_ref())?,
                self.provider.clone().into_any(),
                text(py, completion.system_fingerprint.as_ref())?,
                match &completion.service_tier {
                    Some(tier) => self.types.repeated(py, tier)?.into_any(),
                    None => none(py),
                },
                self.skipped(&completion.skipped)?,
                self.body.clone().into_any(),
                self.types.unset_chat.bind(py).clone(),
                none(py), // parsed: set by the client for a structured call
                none(py), // cost: the client prices the response after parsing
            ],
        )
    }

    pub fn embeddings(&self, embeddings: &Embeddings<'_>) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        let values = &embeddings.values;
        let buffer = PyBytes::new_with(py, values.len() * 4, |out| {
            for (chunk, value) in out.chunks_exact_mut(4).zip(values) {
                chunk.copy_from_slice(&value.to_ne_bytes());
            }
            Ok(())
        })?;
        self.types.embeddings.build(
            py,
            [
                buffer.into_any(),
                embeddings.count.into_pyobject(py)?.into_any(),
                embeddings.dimensions.into_pyobject(py)?.into_any(),
                text(py, embeddings.model.as_ref())?,
                self.usage(embeddings.usage.as_ref())?,
                self.provider.clone().into_any(),
                self.skipped(&embeddings.skipped)?,
                self.body.clone().into_any(),
                self.types.unset_embeddings.bind(py).clone(),
                none(py),
                none(py),
            ],
        )
    }

    pub fn image_generation(
        &self,
        generation: &ImageGeneration<'_>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        self.types.images.build(
            py,
            [
                self.images(&generation.images)?.into_any(),
                self.usage(generation.usage.as_ref())?,
                int(py, generation.created)?,
                text(py, generation.model.as_ref())?,
                self.provider.clone().into_any(),
                self.skipped(&generation.skipped)?,
                self.body.clone().into_any(),
                self.types.unset_images.bind(py).clone(),
                none(py),
            ],
        )
    }
}
