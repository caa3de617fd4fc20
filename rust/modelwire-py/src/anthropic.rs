//! `parse_anthropic_message`: an Anthropic Messages body into a `ChatCompletionResponse`, built by the
//! same conversions as OpenAI chat completions.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::classes::types;
use crate::errors::parse_error;
use crate::{context, values};

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(parse_anthropic_message, module)?)
}

/// Parses an Anthropic Messages API body into a `ChatCompletionResponse` with one choice.
#[pyfunction]
#[pyo3(signature = (body, provider = "anthropic"))]
fn parse_anthropic_message<'py>(
    body: &Bound<'py, PyBytes>,
    provider: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let py = body.py();
    let provider: Bound<'py, PyString> = if provider == "anthropic" {
        types(py)?.anthropic.bind(py).clone()
    } else {
        values::string(py, provider)?
    };
    let ctx = context(body, &provider)?;
    let message = modelwire_core::anthropic::parse_anthropic_message(body.as_bytes())
        .map_err(|e| parse_error(py, e, &provider))?;
    ctx.chat(&message)
}
