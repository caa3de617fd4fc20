//! `SseDecoder` and `NdjsonDecoder` for Python: the core decoders, with events built as the twin's
//! `modelwire.parsing.pure.sse.SseEvent` so both backends return equal objects.

use modelwire_core::error::ParseError;
use modelwire_core::sse::{self as core, DecodeError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyList, PyString, PyType};

use crate::errors;

static SSE_EVENT: PyOnceLock<Py<PyType>> = PyOnceLock::new();

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<SseDecoder>()?;
    module.add_class::<NdjsonDecoder>()?;
    Ok(())
}

/// Bytes in (pieces of any size, split anywhere), `SseEvent` objects out.
#[pyclass(module = "modelwire._core")]
pub struct SseDecoder {
    inner: core::SseDecoder,
}

#[pymethods]
impl SseDecoder {
    #[new]
    #[pyo3(signature = (*, max_line = core::MAX_LINE_BYTES, max_event = core::MAX_EVENT_BYTES))]
    fn new(max_line: usize, max_event: usize) -> Self {
        Self {
            inner: core::SseDecoder::with_limits(core::Limits {
                max_line,
                max_event,
            }),
        }
    }

    fn feed<'py>(&mut self, py: Python<'py>, chunk: PyBackedBytes) -> PyResult<Bound<'py, PyList>> {
        let result = self.inner.feed(&chunk);
        events(py, result, "event stream")
    }

    fn finish<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let result = self.inner.finish();
        events(py, result, "event stream")
    }
}

/// Bytes in, one JSON text (`str`) per non-blank line out.
#[pyclass(module = "modelwire._core")]
pub struct NdjsonDecoder {
    inner: core::NdjsonDecoder,
}

#[pymethods]
impl NdjsonDecoder {
    #[new]
    #[pyo3(signature = (*, max_line = core::MAX_LINE_BYTES))]
    fn new(max_line: usize) -> Self {
        Self {
            inner: core::NdjsonDecoder::with_limits(core::Limits {
                max_line,
                ..core::Limits::default()
            }),
        }
    }

    fn feed<'py>(&mut self, py: Python<'py>, chunk: PyBackedBytes) -> PyResult<Bound<'py, PyList>> {
        let texts = self
            .inner
            .feed(&chunk)
            .map_err(|err| parse_error(py, err, "NDJSON stream"))?;
        PyList::new(py, texts)
    }

    fn finish<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let texts = self
            .inner
            .finish()
            .map_err(|err| parse_error(py, err, "NDJSON stream"))?;
        PyList::new(py, texts)
    }
}

fn events<'py>(
    py: Python<'py>,
    result: Result<Vec<core::SseEvent>, DecodeError>,
    what: &str,
) -> PyResult<Bound<'py, PyList>> {
    let decoded = result.map_err(|err| parse_error(py, err, what))?;
    let class = SSE_EVENT.import(py, "modelwire.parsing.pure.sse", "SseEvent")?;
    let list = PyList::empty(py);
    for event in decoded {
        let data = PyString::new(py, &event.data);
        list.append(class.call1((event.event, data, event.id, event.retry))?)?;
    }
    Ok(list)
}

/// A decoder failure as the twin reports it (no provider: a decoder does not know one).
fn parse_error(py: Python<'_>, err: DecodeError, what: &str) -> PyErr {
    let error = ParseError {
        message: err.message(what),
        path: None,
        offset: err.offset.and_then(|offset| usize::try_from(offset).ok()),
        snippet: None,
    };
    errors::parse_error(py, error, None)
}
