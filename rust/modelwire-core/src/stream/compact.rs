//! A JSON value rewritten exactly as `orjson.dumps(orjson.loads(value))` writes it: compact, strings
//! escaped as orjson escapes them, numbers as orjson types and prints them, and a key given twice kept
//! at its first place with its last value (a dict's behaviour). Tool-call arguments sent as an object
//! become their `arguments_json` this way, as the twin does with orjson.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::json::write::{write_f64, write_int, write_str};
use crate::json::{Kind, Number, Reader, Syn};

/// orjson refuses to write more nested containers than this.
const MAX_DEPTH: usize = 254;

/// The value at the reader, compacted; `Ok(None)` when it is nested deeper than orjson writes (the
/// value is consumed either way). Iterative: nesting costs heap, not stack.
pub fn compact(r: &mut Reader<'_>) -> Syn<Option<String>> {
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut too_deep = false;
    loop {
        // A value starts here.
        let mut produced = match r.kind()? {
            Kind::Object | Kind::Array if stack.len() >= MAX_DEPTH => {
                too_deep = true;
                r.skip()?;
                Vec::new()
            }
            Kind::Object => {
                if r.begin_object()? {
                    let key = r.key()?;
                    stack.push(Frame::Object(Members::default(), key));
                    continue;
                }
                b"{}".to_vec()
            }
            Kind::Array => {
                if r.begin_array()? {
                    stack.push(Frame::Array(vec![b'[']));
                    continue;
                }
                b"[]".to_vec()
            }
            Kind::String => {
                let mut out = Vec::new();
                write_str(&mut out, &r.string()?);
                out
            }
            Kind::Number => {
                let mut out = Vec::new();
                match r.number()? {
                    Number::Int(i) => write_int(&mut out, i),
                    Number::Float(f) => write_f64(&mut out, f),
                }
                out
            }
            Kind::Bool => (if r.boolean()? { "true" } else { "false" }).into(),
            Kind::Null => {
                r.null()?;
                b"null".to_vec()
            }
        };
        // Place it in its container, closing the containers that end here.
        loop {
            let Some(frame) = stack.last_mut() else {
                return Ok((!too_deep).then(|| String::from_utf8(produced).unwrap_or_default()));
            };
            match frame {
                Frame::Object(members, key) => {
                    members.set(key.clone(), produced);
                    if r.more()? {
                        *key = r.key()?;
                        break;
                    }
                    produced = members.write();
                }
                Frame::Array(out) => {
                    if out.len() > 1 {
                        out.push(b',');
                    }
                    out.extend_from_slice(&produced);
                    if r.more()? {
                        break;
                    }
                    out.push(b']');
                    produced = std::mem::take(out);
                }
            }
            stack.pop();
        }
    }
}

enum Frame<'a> {
    /// The members so far and the key whose value is being read.
    Object(Members<'a>, Cow<'a, str>),
    Array(Vec<u8>),
}

/// An object's members in first-key order, a repeated key taking the new value.
#[derive(Default)]
struct Members<'a> {
    list: Vec<(Cow<'a, str>, Vec<u8>)>,
    // Where each key is, once there are enough keys for a linear search to cost.
    places: HashMap<Cow<'a, str>, usize>,
}

impl<'a> Members<'a> {
    fn set(&mut self, key: Cow<'a, str>, value: Vec<u8>) {
        if self.list.len() == 16 && self.places.is_empty() {
            let places = self
                .list
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.clone(), i));
            self.places.extend(places);
        }
        let found = if self.places.is_empty() {
            self.list.iter().position(|(k, _)| *k == key)
        } else {
            self.places.get(&key).copied()
        };
        match found.and_then(|at| self.list.get_mut(at)) {
            Some((_, slot)) => *slot = value,
            None => {
                if !self.places.is_empty() {
                    self.places.insert(key.clone(), self.list.len());
                }
                self.list.push((key, value));
            }
        }
    }

    fn write(&mut self) -> Vec<u8> {
        let mut out = vec![b'{'];
        for (i, (key, value)) in self.list.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(&mut out, key);
            out.push(b':');
            out.extend_from_slice(value);
        }
        out.push(b'}');
        out
    }
}
