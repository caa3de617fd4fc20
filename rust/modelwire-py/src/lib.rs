//! The `modelwire._core` extension module: a thin PyO3 layer over `modelwire-core`.
//!
//! Each parser reads the body once in Rust and builds the canonical Python objects directly; every
//! error goes through `errors::parse_error`.

mod body;
mod classes;
mod convert;
mod errors;
mod eventstream;
mod keys;
mod sse;
mod stream;
mod values;

use modelwire_core::{self as core, error::ParseError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::convert::Context;
use crate::errors::parse_error;

/// The provider label as a Python string (the default ones are cached).
fn provider_string<'py>(py: Python<'py>, provider: &str) -> PyResult<Bound<'py, PyString>> {
    let types = classes::types(py)?;
    match provider {
        "openai" => Ok(types.openai.bind(py).clone()),
        "anthropic" => Ok(types.anthropic.bind(py).clone()),
        _ => values::string(py, provider),
    }
}

/// Parses `body` with `parse`, which builds the Python object from what the core read; a parse error
/// names the provider.
fn convert<'py>(
    body: &Bound<'py, PyBytes>,
    provider: &str,
    parse: impl FnOnce(&Context<'_, 'py>) -> Result<PyResult<Bound<'py, PyAny>>, ParseError>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = body.py();
    let provider = provider_string(py, provider)?;
    let context = Context {
        py,
        types: classes::types(py)?,
        body,
        provider: &provider,
    };
    parse(&context).map_err(|e| parse_error(py, e, &provider))?
}

/// Parses an OpenAI-format chat completion body into a `ChatCompletionResponse`.
#[pyfunction]
#[pyo3(signature = (body, provider = "openai"))]
fn parse_chat_completion<'py>(
    body: &Bound<'py, PyBytes>,
    provider: &str,
) -> PyResult<Bound<'py, PyAny>> {
    convert(body, provider, |ctx| {
        core::chat::parse_chat_completion(body.as_bytes()).map(|read| ctx.chat(&read))
    })
}

/// Parses an Anthropic Messages API body into a `ChatCompletionResponse` with one choice, built by the
/// same conversions as OpenAI chat completions.
#[pyfunction]
#[pyo3(signature = (body, provider = "anthropic"))]
fn parse_anthropic_message<'py>(
    body: &Bound<'py, PyBytes>,
    provider: &str,
) -> PyResult<Bound<'py, PyAny>> {
    convert(body, provider, |ctx| {
        core::anthropic::parse_anthropic_message(body.as_bytes()).map(|read| ctx.chat(&read))
    })
}

/// Parses a Gemini / Vertex AI `generateContent` body into a `ChatCompletionResponse` (one choice per
/// candidate); a prompt blocked before any candidate raises `ContentPolicyError`.
#[pyfunction]
#[pyo3(signature = (body, provider = "gemini"))]
fn parse_gemini_content<'py>(
    body: &Bound<'py, PyBytes>,
    provider: &str,
) -> PyResult<Bound<'py, PyAny>> {
    convert(body, provider, |ctx| {
        core::gemini::parse_gemini_content(body.as_bytes()).map(|outcome| match outcome {
            core::gemini::Outcome::Completion(read) => ctx.chat(&read),
            core::gemini::Outcome::Blocked { reason, message } => {
                let text = core::gemini::blocked_message(&reason, message.as_deref());
                Err(errors::content_policy_error(
                    ctx.py,
                    text,
                    ctx.provider,
                    &reason,
                ))
            }
        })
    })
}

/// Parses a Gemini `embedContent` / `batchEmbedContents` or Vertex `predict` body into an
/// `EmbeddingResponse`.
#[pyfunction]
#[pyo3(signature = (body, provider = "gemini"))]
fn parse_gemini_embeddings<'py>(
    body: &Bound<'py, PyBytes>,
    provider: &str,
) -> PyResult<Bound<'py, PyAny>> {
    convert(body, provider, |ctx| {
        core::gemini::embeddings::parse_gemini_embeddings(body.as_bytes())
            .map(|read| ctx.embeddings(&read))
    })
}

/// Parses an OpenAI Responses API body into a `ChatCompletionResponse` with one choice.
#[pyfunction]
#[pyo3(signature = (body, provider = "openai"))]
fn parse_responses<'py>(body: &Bound<'py, PyBytes>, provider: &str) -> PyResult<Bound<'py, PyAny>> {
    convert(body, provider, |ctx| {
        core::responses::parse_responses(body.as_bytes()).map(|read| ctx.responses(&read))
    })
}

/// Parses a Bedrock Converse body into a `ChatCompletionResponse` with one choice.
#[pyfunction]
#[pyo3(signature = (body, provider = "bedrock"))]
fn parse_bedrock_converse<'py>(
    body: &Bound<'py, PyBytes>,
    provider: &str,
) -> PyResult<Bound<'py, PyAny>> {
    convert(body, provider, |ctx| {
        core::bedrock::parse_bedrock_converse(body.as_bytes()).map(|read| ctx.chat(&read))
    })
}

/// Parses an OpenAI-format embeddings body into an `EmbeddingResponse` (one float32 buffer).
#[pyfunction]
#[pyo3(signature = (body, provider = "openai"))]
fn parse_embeddings<'py>(
    body: &Bound<'py, PyBytes>,
    provider: &str,
) -> PyResult<Bound<'py, PyAny>> {
    convert(body, provider, |ctx| {
        core::embeddings::parse_embeddings(body.as_bytes()).map(|read| ctx.embeddings(&read))
    })
}

/// Parses an image generation body (or a chat completion with images) into an `ImageGenerationResponse`.
#[pyfunction]
#[pyo3(signature = (body, provider = "openai"))]
fn parse_image_generation<'py>(
    body: &Bound<'py, PyBytes>,
    provider: &str,
) -> PyResult<Bound<'py, PyAny>> {
    convert(body, provider, |ctx| {
        core::images::parse_image_generation(body.as_bytes())
            .map(|read| ctx.image_generation(&read))
    })
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(parse_anthropic_message, m)?)?;
    m.add_function(wrap_pyfunction!(parse_bedrock_converse, m)?)?;
    m.add_function(wrap_pyfunction!(parse_chat_completion, m)?)?;
    m.add_function(wrap_pyfunction!(parse_embeddings, m)?)?;
    m.add_function(wrap_pyfunction!(parse_gemini_content, m)?)?;
    m.add_function(wrap_pyfunction!(parse_gemini_embeddings, m)?)?;
    m.add_function(wrap_pyfunction!(parse_image_generation, m)?)?;
    m.add_function(wrap_pyfunction!(parse_responses, m)?)?;
    m.add_function(wrap_pyfunction!(body::request_body, m)?)?;
    sse::register(m)?;
    eventstream::register(m)?;
    stream::register(m)?;
    Ok(())
}
