//! The `modelwire._core` extension module: a thin PyO3 layer over `modelwire-core`.
//!
//! Each parser reads the body once in Rust and builds the canonical Python objects directly; every
//! error goes through `errors::parse_error`.

mod anthropic;
mod body;
mod classes;
mod convert;
mod errors;
mod sse;
mod stream;
mod values;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::convert::Context;
use crate::errors::parse_error;

fn context<'a, 'py>(
    body: &'a Bound<'py, PyBytes>,
    provider: &'a Bound<'py, PyString>,
) -> PyResult<Context<'a, 'py>> {
    let py = body.py();
    Ok(Context {
        py,
        types: classes::types(py)?,
        body,
        provider,
    })
}

/// The provider label as a Python string (the default one is cached).
fn provider_string<'py>(py: Python<'py>, provider: &str) -> PyResult<Bound<'py, PyString>> {
    if provider == "openai" {
        return Ok(classes::types(py)?.openai.bind(py).clone());
    }
    values::string(py, provider)
}

/// Parses an OpenAI-format chat completion body into a `ChatCompletionResponse`.
#[pyfunction]
#[pyo3(signature = (body, provider = "openai"))]
fn parse_chat_completion<'py>(
    body: &Bound<'py, PyBytes>,
    provider: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let py = body.py();
    let provider = provider_string(py, provider)?;
    let ctx = context(body, &provider)?;
    let completion = modelwire_core::chat::parse_chat_completion(body.as_bytes())
        .map_err(|e| parse_error(py, e, &provider))?;
    ctx.chat(&completion)
}

/// Parses an OpenAI-format embeddings body into an `EmbeddingResponse` (one float32 buffer).
#[pyfunction]
#[pyo3(signature = (body, provider = "openai"))]
fn parse_embeddings<'py>(
    body: &Bound<'py, PyBytes>,
    provider: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let py = body.py();
    let provider = provider_string(py, provider)?;
    let ctx = context(body, &provider)?;
    let embeddings = modelwire_core::embeddings::parse_embeddings(body.as_bytes())
        .map_err(|e| parse_error(py, e, &provider))?;
    ctx.embeddings(&embeddings)
}

/// Parses an image generation body (or a chat completion with images) into an `ImageGenerationResponse`.
#[pyfunction]
#[pyo3(signature = (body, provider = "openai"))]
fn parse_image_generation<'py>(
    body: &Bound<'py, PyBytes>,
    provider: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let py = body.py();
    let provider = provider_string(py, provider)?;
    let ctx = context(body, &provider)?;
    let generation = modelwire_core::images::parse_image_generation(body.as_bytes())
        .map_err(|e| parse_error(py, e, &provider))?;
    ctx.image_generation(&generation)
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    anthropic::register(m)?;
    m.add_function(wrap_pyfunction!(parse_chat_completion, m)?)?;
    m.add_function(wrap_pyfunction!(parse_embeddings, m)?)?;
    m.add_function(wrap_pyfunction!(parse_image_generation, m)?)?;
    m.add_function(wrap_pyfunction!(body::request_body, m)?)?;
    sse::register(m)?;
    stream::register(m)?;
    Ok(())
}
