//! The one place where core errors become Python exceptions.

use modelwire_core::error::ParseError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::classes::types;

/// `ParseError` -> `modelwire.ResponseParseError(message, provider=, path=, offset=, snippet=)`; the
/// exception's constructor redacts and truncates the snippet. `provider` is `None` where no provider is
/// known (the SSE and NDJSON decoders).
pub fn parse_error<'a, 'py: 'a>(
    py: Python<'py>,
    error: ParseError,
    provider: impl Into<Option<&'a Bound<'py, PyString>>>,
) -> PyErr {
    let provider = provider.into();
    let build = || -> PyResult<PyErr> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("provider", provider)?;
        kwargs.set_item("path", error.path)?;
        kwargs.set_item("offset", error.offset)?;
        // The text each side of the fault; the exception masks it, then cuts the excerpt.
        let snippet = error.snippet.map(|snippet| (snippet.before, snippet.after));
        kwargs.set_item("snippet", snippet)?;
        let exception = types(py)?
            .response_parse_error
            .bind(py)
            .call((error.message,), Some(&kwargs))?;
        Ok(PyErr::from_value(exception))
    };
    build().unwrap_or_else(|failure| failure)
}

/// A prompt the provider blocked before generating anything (Gemini's `promptFeedback.blockReason`) ->
/// `modelwire.ContentPolicyError(message, provider=, provider_code=<reason>)`.
pub fn content_policy_error(
    py: Python<'_>,
    message: String,
    provider: &Bound<'_, PyString>,
    code: &str,
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("provider", provider)?;
        kwargs.set_item("provider_code", code)?;
        let class = py
            .import("modelwire.exceptions")?
            .getattr("ContentPolicyError")?;
        Ok(PyErr::from_value(class.call((message,), Some(&kwargs))?))
    };
    build().unwrap_or_else(|failure| failure)
}
