//! Tool arguments (or an Anthropic `input`) sent as an object, written as the twin writes them with
//! `orjson.dumps`: the value at the reader handed to [`crate::json::compact`], the one writer the
//! non-streamed parsers use too, so depth is judged as orjson judges it (after duplicate keys are
//! dropped) and a streamed call gives the same `arguments_json` as a non-streamed one.

use crate::json::compact::compact as write_compact;
use crate::json::{Reader, Syn};

/// The value at the reader, compacted; `Ok(None)` when orjson could not write it (nested deeper than
/// [`crate::json::compact::MAX_WRITE_DEPTH`] once duplicate keys are dropped). The value is consumed.
pub fn compact(r: &mut Reader<'_>) -> Syn<Option<String>> {
    let (start, end) = r.span()?;
    write_compact(r.text_between(start, end))
}
