//! JSON values to plain Python objects, exactly as `orjson.loads` builds them (logprobs, tool-call
//! arguments): dicts keep first-key order with the last value, integers in the 64-bit ranges are
//! `int`, every other number is the correctly rounded `float`.

use modelwire_core::json::{Kind, Number, Reader, SyntaxError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyList, PyNone, PyString};

use crate::keys::Keys;

pub enum BuildError {
    Syntax(SyntaxError),
    Python(PyErr),
}

impl From<SyntaxError> for BuildError {
    fn from(error: SyntaxError) -> Self {
        Self::Syntax(error)
    }
}

impl From<PyErr> for BuildError {
    fn from(error: PyErr) -> Self {
        Self::Python(error)
    }
}

/// A Python `str` of `text`. ASCII text (almost all of a response) is copied straight into a new
/// compact string, skipping the UTF-8 decoder; the stable ABI has no such call and decodes.
#[inline]
pub fn string<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyString>> {
    #[cfg(not(feature = "abi3"))]
    if text.is_ascii() {
        let length = pyo3::ffi::Py_ssize_t::try_from(text.len())?;
        // SAFETY: PyUnicode_New returns a new ASCII string object with room for `length` bytes (and
        // its terminator), or NULL with an exception set; every byte copied is ASCII.
        unsafe {
            let object = pyo3::ffi::PyUnicode_New(length, 127);
            if !object.is_null() {
                let data = pyo3::ffi::PyUnicode_DATA(object).cast::<u8>();
                std::ptr::copy_nonoverlapping(text.as_ptr(), data, text.len());
            }
            return Ok(Bound::from_owned_ptr_or_err(py, object)?.cast_into_unchecked());
        }
    }
    Ok(PyString::new(py, text))
}

/// A Python `int`; sums of counts (Anthropic's prompt tokens, totals) can pass 64 bits.
pub fn int<'py>(py: Python<'py>, value: i128) -> PyResult<Bound<'py, PyAny>> {
    if let Ok(small) = i64::try_from(value) {
        return Ok(small.into_pyobject(py)?.into_any());
    }
    Ok(value.into_pyobject(py)?.into_any())
}

/// The value at the reader as Python objects (recursion is bounded by the reader's depth limit).
pub fn build<'py>(py: Python<'py>, r: &mut Reader<'_>) -> Result<Bound<'py, PyAny>, BuildError> {
    build_with(py, r, &mut Keys::new())
}

fn build_with<'py>(
    py: Python<'py>,
    r: &mut Reader<'_>,
    keys: &mut Keys,
) -> Result<Bound<'py, PyAny>, BuildError> {
    Ok(match r.kind()? {
        Kind::Object => {
            let dict = PyDict::new(py);
            r.object(|r, key| -> Result<(), BuildError> {
                let key = keys.key(py, &key)?;
                let value = build_with(py, r, keys)?;
                Ok(dict.set_item(key, value)?)
            })?;
            dict.into_any()
        }
        Kind::Array => {
            let list = PyList::empty(py);
            r.array(|r, _| -> Result<(), BuildError> {
                Ok(list.append(build_with(py, r, keys)?)?)
            })?;
            list.into_any()
        }
        Kind::String => string(py, &r.string()?)?.into_any(),
        Kind::Number => match r.number()? {
            Number::Int(value) => int(py, value)?,
            Number::Float(value) => PyFloat::new(py, value).into_any(),
        },
        Kind::Bool => PyBool::new(py, r.boolean()?).to_owned().into_any(),
        Kind::Null => {
            r.null()?;
            PyNone::get(py).to_owned().into_any()
        }
    })
}

/// A JSON document (tool-call arguments) as Python objects, if it is one valid document.
pub fn document<'py>(py: Python<'py>, text: &str) -> Result<Bound<'py, PyAny>, BuildError> {
    let mut r = Reader::over(text);
    let value = build(py, &mut r)?;
    r.finish()?;
    Ok(value)
}
