//! The `modelwire._core` extension module: a thin PyO3 layer over `modelwire-core`.

use pyo3::prelude::*;

mod sse;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    sse::register(m)?;
    Ok(())
}
