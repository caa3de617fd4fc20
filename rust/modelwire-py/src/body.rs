//! Request bodies: `TransportKwargs.from_request`'s rules, serialized byte-for-byte like `orjson.dumps`.

use modelwire_core::json::write::{write_f64, write_int, write_str};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::classes::types;

// orjson refuses to nest deeper than this many containers (the body itself is the first).
const MAX_DEPTH: usize = 254;

/// A value this serializer leaves to orjson: another type, a surrogate, a 65-bit integer, too deep.
struct Fallback;

fn write(value: &Bound<'_, PyAny>, out: &mut Vec<u8>, depth: usize) -> Result<(), Fallback> {
    if let Ok(s) = value.cast_exact::<PyString>() {
        write_str(out, s.to_str().map_err(|_| Fallback)?);
    } else if value.is_none() {
        out.extend_from_slice(b"null");
    } else if let Ok(b) = value.cast_exact::<PyBool>() {
        out.extend_from_slice(if b.is_true() { b"true" } else { b"false" });
    } else if value.is_exact_instance_of::<PyInt>() {
        let number = match value.extract::<i64>() {
            Ok(small) => i128::from(small),
            Err(_) => i128::from(value.extract::<u64>().map_err(|_| Fallback)?),
        };
        write_int(out, number);
    } else if let Ok(f) = value.cast_exact::<PyFloat>() {
        write_f64(out, f.value());
    } else if let Ok(dict) = value.cast_exact::<PyDict>() {
        if depth >= MAX_DEPTH {
            return Err(Fallback);
        }
        out.push(b'{');
        for (i, (key, item)) in dict.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let key = key.cast_exact::<PyString>().map_err(|_| Fallback)?;
            write_str(out, key.to_str().map_err(|_| Fallback)?);
            out.push(b':');
            write(&item, out, depth + 1)?;
        }
        out.push(b'}');
    } else if let Ok(list) = value.cast_exact::<PyList>() {
        write_items(list.iter(), out, depth)?;
    } else if let Ok(tuple) = value.cast_exact::<PyTuple>() {
        write_items(tuple.iter(), out, depth)?;
    } else {
        return Err(Fallback);
    }
    Ok(())
}

fn write_items<'py>(
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    out: &mut Vec<u8>,
    depth: usize,
) -> Result<(), Fallback> {
    if depth >= MAX_DEPTH {
        return Err(Fallback);
    }
    out.push(b'[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write(&item, out, depth + 1)?;
    }
    out.push(b']');
    Ok(())
}

/// The JSON body for `request`: `fields`, then the set `BODY_FIELDS` not in `exclude`, then
/// `extra_body` (dict-update semantics throughout), as `modelwire.request.pure.request_body`.
#[pyfunction]
#[pyo3(signature = (request, fields, exclude))]
pub fn request_body<'py>(
    py: Python<'py>,
    request: &Bound<'py, PyAny>,
    fields: Option<&Bound<'py, PyAny>>,
    exclude: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let body = PyDict::new(py);
    if let Some(fields) = fields {
        if fields.is_truthy()? {
            body.call_method1(pyo3::intern!(py, "update"), (fields,))?;
        }
    }
    let names = request
        .get_type()
        .getattr(pyo3::intern!(py, "BODY_FIELDS"))?;
    for name in names.try_iter()? {
        let name = name?;
        if !exclude.contains(&name)? {
            let value = request.getattr(name.cast::<PyString>()?)?;
            if !value.is_none() {
                body.set_item(&name, value)?;
            }
        }
    }
    if let Some(extra) = request.getattr_opt(pyo3::intern!(py, "extra_body"))? {
        if extra.is_truthy()? {
            body.call_method1(pyo3::intern!(py, "update"), (extra,))?;
        }
    }
    let mut out = Vec::with_capacity(256);
    if write(body.as_any(), &mut out, 0).is_ok() {
        return Ok(PyBytes::new(py, &out));
    }
    // orjson itself writes what it alone supports, and raises its own error for what it refuses.
    Ok(types(py)?
        .orjson_dumps
        .bind(py)
        .call1((body,))?
        .cast_into::<PyBytes>()?)
}
