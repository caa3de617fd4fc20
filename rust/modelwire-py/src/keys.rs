//! A process-wide cache of the Python strings made for JSON object keys (tool-call arguments, logprobs).
//!
//! The same few keys come back in every response (`token`, `logprob`, `bytes`, `top_logprobs` once per
//! token; a tool's parameter names once per call), and making each one afresh costs an allocation, a
//! copy, a hash when the dict inserts it and a free afterwards: the largest share of building
//! logprobs. orjson keeps such a cache too, so without one `orjson.loads` of the same bytes wins. A
//! key found here is the same `str` object, already hashed.
//!
//! The cache is direct-mapped (a key's hash picks its one slot; a different key there is replaced),
//! bounded in size, and only holds short keys. A document takes the lock once for all its keys, with
//! `try_lock`: building may run Python code (a collection can call a finalizer, which may parse
//! another document on this or another thread), and waiting there for the lock could deadlock, so a
//! document that finds the cache busy just builds its keys uncached.

use std::sync::{Mutex, MutexGuard};

use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::values;

/// Slots in the cache (a power of two); with the bound on key length, at most ~150 KB held.
const SLOTS: usize = 1024;
/// Longer keys are rarely repeated names; they are made afresh and not kept.
const MAX_KEY: usize = 64;

struct Entry {
    hash: u64,
    text: Box<str>,
    string: Py<PyString>,
}

static CACHE: Mutex<Vec<Option<Entry>>> = Mutex::new(Vec::new());

/// The cache held for the keys of one document, or nothing when another build holds it.
pub struct Keys {
    slots: Option<MutexGuard<'static, Vec<Option<Entry>>>>,
}

impl Keys {
    pub fn new() -> Self {
        let mut slots = CACHE.try_lock().ok();
        if let Some(slots) = slots.as_mut() {
            if slots.is_empty() {
                slots.resize_with(SLOTS, || None);
            }
        }
        Self { slots }
    }

    /// The Python string for object key `text`: the cached one when it is there.
    #[inline]
    pub fn key<'py>(&mut self, py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyString>> {
        let Some(slots) = self.slots.as_mut() else {
            return values::string(py, text);
        };
        if text.len() > MAX_KEY {
            return values::string(py, text);
        }
        let hash = hash(text.as_bytes());
        let Some(slot) = slots.get_mut(hash as usize & (SLOTS - 1)) else {
            return values::string(py, text);
        };
        if let Some(entry) = slot {
            if entry.hash == hash && *entry.text == *text {
                return Ok(entry.string.bind(py).clone());
            }
        }
        let made = values::string(py, text)?;
        *slot = Some(Entry {
            hash,
            text: text.into(),
            string: made.clone().unbind(),
        });
        Ok(made)
    }
}

/// A fast, non-cryptographic hash of a short key, eight bytes at a time (multiply-rotate, as rustc's
/// FxHash). A collision only costs a replaced slot: entries are compared by text before use.
#[inline]
fn hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
        h = (h.rotate_left(5) ^ word).wrapping_mul(K);
    }
    let mut last = [0u8; 8];
    let rest = words.remainder();
    if let Some(head) = last.get_mut(..rest.len()) {
        head.copy_from_slice(rest);
    }
    h = (h.rotate_left(5) ^ u64::from_le_bytes(last)).wrapping_mul(K);
    // The slot index takes the low bits: fold the well-mixed high bits into them.
    h ^ (h >> 32)
}
