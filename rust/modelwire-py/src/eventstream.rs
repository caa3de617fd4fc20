//! `EventStreamDecoder` for Python: the core decoder, with messages built as the twin's
//! `modelwire.parsing.pure.eventstream.EventStreamMessage` so both backends return equal objects.

use modelwire_core::eventstream::{self as core, HeaderValue, Message};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyType};

use crate::errors;

static MESSAGE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<EventStreamDecoder>()
}

/// AWS event-stream bytes in (split anywhere), `EventStreamMessage` objects out.
#[pyclass(module = "modelwire._core")]
pub struct EventStreamDecoder {
    inner: core::EventStreamDecoder,
}

fn value<'py>(py: Python<'py>, value: HeaderValue) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        HeaderValue::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        HeaderValue::Byte(n) => n.into_pyobject(py)?.into_any(),
        HeaderValue::Short(n) => n.into_pyobject(py)?.into_any(),
        HeaderValue::Int(n) => n.into_pyobject(py)?.into_any(),
        HeaderValue::Long(n) | HeaderValue::Timestamp(n) => n.into_pyobject(py)?.into_any(),
        HeaderValue::Bytes(bytes) => PyBytes::new(py, &bytes).into_any(),
        HeaderValue::Uuid(bytes) => PyBytes::new(py, &bytes).into_any(),
        HeaderValue::String(text) => text.into_pyobject(py)?.into_any(),
    })
}

fn messages<'py>(py: Python<'py>, decoded: Vec<Message>) -> PyResult<Bound<'py, PyList>> {
    let class = MESSAGE.import(
        py,
        "modelwire.parsing.pure.eventstream",
        "EventStreamMessage",
    )?;
    let list = PyList::empty(py);
    for message in decoded {
        let headers = PyDict::new(py);
        for (name, header) in message.headers {
            headers.set_item(name, value(py, header)?)?;
        }
        let payload = PyBytes::new(py, &message.payload);
        list.append(class.call1((headers, payload))?)?;
    }
    Ok(list)
}

#[pymethods]
impl EventStreamDecoder {
    #[new]
    fn new() -> Self {
        Self {
            inner: core::EventStreamDecoder::new(),
        }
    }

    /// The messages `chunk` completes; a fault after some of them is raised by the next call.
    fn feed<'py>(&mut self, py: Python<'py>, chunk: PyBackedBytes) -> PyResult<Bound<'py, PyList>> {
        let mut decoded = Vec::new();
        let result = self.inner.feed_with(&chunk, |m| decoded.push(m));
        match result {
            Err(error) if decoded.is_empty() => Err(errors::parse_error(py, error, None)),
            _ => messages(py, decoded),
        }
    }

    /// End of stream: an error if it ended inside a message.
    fn finish<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.inner
            .finish()
            .map_err(|error| errors::parse_error(py, error, None))?;
        Ok(PyList::empty(py))
    }
}
