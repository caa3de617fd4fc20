//! Request bodies: `TransportKwargs.from_request`'s rules. Flattening is done here, through the C API
//! (a dict copy, one attribute read per optional field, a dict merge); the flat dict is serialized by
//! `orjson.dumps`, which writes JSON faster than a writer of ours did (`benches/bench_bodies.py`).

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};

use crate::classes::types;

/// `body.update(value)`: a dict merges in C; any other mapping or pairs go through `dict.update`.
fn update<'py>(body: &Bound<'py, PyDict>, value: &Bound<'py, PyAny>) -> PyResult<()> {
    match value.cast_exact::<PyDict>() {
        Ok(dict) => body.update(dict.as_mapping()),
        Err(_) => body
            .call_method1(pyo3::intern!(body.py(), "update"), (value,))
            .map(drop),
    }
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
    let body = match fields.map(|f| (f, f.cast_exact::<PyDict>())) {
        Some((_, Ok(dict))) => dict.copy()?,
        Some((given, Err(_))) => {
            let body = PyDict::new(py);
            if given.is_truthy()? {
                update(&body, given)?;
            }
            body
        }
        None => PyDict::new(py),
    };
    let names = request
        .get_type()
        .getattr(pyo3::intern!(py, "BODY_FIELDS"))?;
    let excluding = exclude.is_truthy()?;
    let mut add = |name: Bound<'py, PyAny>| -> PyResult<()> {
        if excluding && exclude.contains(&name)? {
            return Ok(());
        }
        let value = request.getattr(name.cast::<PyString>()?)?;
        if !value.is_none() {
            body.set_item(name, value)?;
        }
        Ok(())
    };
    match names.cast_exact::<PyTuple>() {
        Ok(tuple) => tuple.iter().try_for_each(&mut add)?,
        Err(_) => names.try_iter()?.try_for_each(|name| add(name?))?,
    }
    if let Some(extra) = request.getattr_opt(pyo3::intern!(py, "extra_body"))? {
        if extra.is_truthy()? {
            update(&body, &extra)?;
        }
    }
    // orjson writes what it supports and raises its own error for what it refuses, as in the twin.
    Ok(types(py)?
        .orjson_dumps
        .bind(py)
        .call1((body,))?
        .cast_into::<PyBytes>()?)
}
