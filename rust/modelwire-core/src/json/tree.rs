//! A small borrowed tree of a JSON value, for formats whose rules look a few levels down in any order
//! (the Responses API): read once, then looked up the way the pure-Python twin looks into the dict
//! orjson built, so the faults come out in the twin's order without slot bookkeeping.
//!
//! Only the levels a parser reads are built: containers deeper than `depth` are skipped (iteratively, by
//! the reader) and remembered by their type alone, which is all a type check needs. Lookups return the
//! last of a repeated key, as a Python dict keeps it.

use std::borrow::Cow;

use crate::error::{Fault, Path};
use crate::json::{Kind, Number, Reader, Syn};

#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool,
    Int(i128),
    Float(f64),
    Str(Cow<'a, str>),
    Array(Vec<Value<'a>>),
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
    /// A container below the levels read: only its type is known.
    Deep(Kind),
}

/// 2^53: floats below it in magnitude hold every integer exactly.
const WHOLE_LIMIT: f64 = 9_007_199_254_740_992.0;

/// Reads the value that comes next, building `depth` levels of containers.
pub fn read<'a>(r: &mut Reader<'a>, depth: usize) -> Syn<Value<'a>> {
    Ok(match r.kind()? {
        Kind::Null => {
            r.null()?;
            Value::Null
        }
        Kind::Bool => {
            r.boolean()?;
            Value::Bool
        }
        Kind::String => Value::Str(r.string()?),
        Kind::Number => match r.number()? {
            Number::Int(value) => Value::Int(value),
            Number::Float(value) => Value::Float(value),
        },
        kind @ (Kind::Object | Kind::Array) if depth == 0 => {
            r.skip()?;
            Value::Deep(kind)
        }
        Kind::Object => {
            let mut members = Vec::new();
            r.object(|r, key| {
                members.push((key, read(r, depth - 1)?));
                Ok(())
            })?;
            Value::Object(members)
        }
        Kind::Array => {
            let mut elements = Vec::new();
            r.array(|r, _| {
                elements.push(read(r, depth - 1)?);
                Ok(())
            })?;
            Value::Array(elements)
        }
    })
}

impl<'a> Value<'a> {
    /// The name of its JSON type, as the error messages use it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::Array(_) | Value::Deep(Kind::Array) => "array",
            Value::Object(_) | Value::Deep(Kind::Object) => "object",
            Value::Deep(_) => "null",
        }
    }

    /// The member `key` of an object (the last one when repeated); `None` when absent or not an object.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        match self {
            Value::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// The fault "expected {what}, got {type}" at `path`.
#[cold]
pub fn expected(what: &str, value: &Value<'_>, path: &Path<'_>) -> Fault {
    path.fault(format!("expected {what}, got {}", value.type_name()))
}

/// Member lookups with the twin's coercion rules (`modelwire/parsing/pure/_read.py`): absent and null
/// read as `None`, any other type is a fault naming `path.key`.
pub struct Object<'v, 'a>(pub &'v Value<'a>);

impl<'v, 'a> Object<'v, 'a> {
    /// `value` when it is an object, else the fault at `path`.
    pub fn of(value: &'v Value<'a>, path: &Path<'_>) -> Result<Self, Fault> {
        match value {
            Value::Object(_) => Ok(Self(value)),
            _ => Err(expected("an object", value, path)),
        }
    }

    pub fn get(&self, key: &str) -> Option<&'v Value<'a>> {
        self.0.get(key)
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn opt_str(
        &self,
        key: &'static str,
        path: &Path<'_>,
    ) -> Result<Option<&'v Cow<'a, str>>, Fault> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Str(text)) => Ok(Some(text)),
            Some(other) => Err(expected("a string", other, &path.key(key))),
        }
    }

    pub fn opt_int(&self, key: &'static str, path: &Path<'_>) -> Result<Option<i128>, Fault> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Int(value)) => Ok(Some(*value)),
            Some(other) => Err(expected("an integer", other, &path.key(key))),
        }
    }

    /// An integer, or a number with no fractional part below 2^53 in magnitude read as that integer
    /// (some servers write timestamps as `1784324967.0`).
    pub fn opt_whole(&self, key: &'static str, path: &Path<'_>) -> Result<Option<i128>, Fault> {
        match self.get(key) {
            Some(Value::Float(value)) if value.fract() == 0.0 && value.abs() < WHOLE_LIMIT => {
                Ok(Some(*value as i128))
            }
            _ => self.opt_int(key, path),
        }
    }

    pub fn opt_object(&self, key: &'static str, path: &Path<'_>) -> Result<Option<Self>, Fault> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value @ Value::Object(_)) => Ok(Some(Self(value))),
            Some(other) => Err(expected("an object", other, &path.key(key))),
        }
    }

    /// The elements of an array member; none when absent or null.
    pub fn opt_list(&self, key: &'static str, path: &Path<'_>) -> Result<&'v [Value<'a>], Fault> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(elements)) => Ok(elements),
            Some(other) => Err(expected("an array", other, &path.key(key))),
        }
    }

    pub fn required_int(&self, key: &'static str, path: &Path<'_>) -> Result<i128, Fault> {
        match self.get(key) {
            Some(Value::Int(value)) => Ok(*value),
            None => Err(path.key(key).fault("missing required field")),
            Some(other) => Err(expected("an integer", other, &path.key(key))),
        }
    }

    pub fn required_str(
        &self,
        key: &'static str,
        path: &Path<'_>,
    ) -> Result<&'v Cow<'a, str>, Fault> {
        match self.get(key) {
            Some(Value::Str(text)) => Ok(text),
            None => Err(path.key(key).fault("missing required field")),
            Some(other) => Err(expected("a string", other, &path.key(key))),
        }
    }

    pub fn required_object(&self, key: &'static str, path: &Path<'_>) -> Result<Self, Fault> {
        match self.get(key) {
            Some(value @ Value::Object(_)) => Ok(Self(value)),
            None => Err(path.key(key).fault("missing required field")),
            Some(other) => Err(expected("an object", other, &path.key(key))),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn tree(text: &str, depth: usize) -> Value<'_> {
        let mut r = Reader::over(text);
        let value = read(&mut r, depth).unwrap();
        r.finish().unwrap();
        value
    }

    #[test]
    fn the_last_repeated_key_wins() {
        let value = tree(r#"{"a": 1, "a": "x"}"#, 4);
        assert_eq!(value.get("a"), Some(&Value::Str(Cow::Borrowed("x"))));
    }

    #[test]
    fn deep_containers_keep_their_type() {
        let value = tree(r#"{"a": [[1]], "b": {"c": {}}}"#, 2);
        let a = Object(&value).opt_list("a", &Path::ROOT).unwrap();
        assert_eq!(a, &[Value::Deep(Kind::Array)]);
        let b = Object(&value)
            .opt_object("b", &Path::ROOT)
            .unwrap()
            .unwrap();
        let fault = b.opt_str("c", &Path::ROOT.key("b")).unwrap_err();
        assert_eq!(fault.message(), "expected a string, got object");
        assert_eq!(fault.path(), "b.c");
    }

    #[test]
    fn syntax_is_checked_below_the_levels_read() {
        let mut r = Reader::over(r#"{"a": [[1,]]}"#);
        assert!(read(&mut r, 1).is_err());
    }
}
