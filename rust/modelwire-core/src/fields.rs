//! Reading typed fields: each helper consumes one value and returns it, or the fault that it has the
//! wrong type (worded exactly as the pure-Python parser words it).

use std::borrow::Cow;

use crate::error::{Checked, Fault, ParseError, Path};
use crate::json::{Kind, Number, Reader, Syn};

/// The name of the value's JSON type, as the error messages use it; consumes the value.
pub fn type_name(r: &mut Reader<'_>) -> Syn<&'static str> {
    Ok(match r.kind()? {
        Kind::Object => {
            r.skip()?;
            "object"
        }
        Kind::Array => {
            r.skip()?;
            "array"
        }
        Kind::String => {
            r.skip()?;
            "string"
        }
        Kind::Number => match r.number()? {
            Number::Int(_) => "integer",
            Number::Float(_) => "number",
        },
        Kind::Bool => {
            r.boolean()?;
            "boolean"
        }
        Kind::Null => {
            r.null()?;
            "null"
        }
    })
}

/// Consumes a value of the wrong type and describes it.
pub fn wrong(r: &mut Reader<'_>, what: &str, path: &Path<'_>) -> Syn<Fault> {
    let got = type_name(r)?;
    Ok(path.fault(format!("expected {what}, got {got}")))
}

/// An optional object kept as its byte span, to be read later (tool-call arguments, which are copied
/// through as written): null is absent, any other type is the fault at `path`.
pub fn opt_object_span(
    r: &mut Reader<'_>,
    path: &Path<'_>,
) -> Syn<Checked<Option<(usize, usize)>>> {
    Ok(match r.kind()? {
        Kind::Object => Ok(Some(r.span()?)),
        Kind::Null => r.null().map(|_| Ok(None))?,
        _ => Err(wrong(r, "an object", path)?),
    })
}

#[inline]
pub fn opt_str<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Option<Cow<'a, str>>>> {
    Ok(match r.kind()? {
        Kind::String => Ok(Some(r.string()?)),
        Kind::Null => {
            r.null()?;
            Ok(None)
        }
        _ => Err(wrong(r, "a string", path)?),
    })
}

#[inline]
pub fn opt_int(r: &mut Reader<'_>, path: &Path<'_>) -> Syn<Checked<Option<i128>>> {
    Ok(match r.kind()? {
        Kind::Number => match r.number()? {
            Number::Int(value) => Ok(Some(value)),
            Number::Float(_) => Err(path.fault("expected an integer, got number")),
        },
        Kind::Null => {
            r.null()?;
            Ok(None)
        }
        Kind::String => match int_string(&r.string()?) {
            Some(value) => Ok(Some(value)),
            None => Err(path.fault("expected an integer, got string")),
        },
        _ => Err(wrong(r, "an integer", path)?),
    })
}

/// The integer a string holds exactly ("4", "-12"): an optional `-`, 1 to 20 ASCII digits, a value in
/// the range of JSON integers (docs/parsing-rules.md, section 2).
pub fn int_string(text: &str) -> Option<i128> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: i128 = text.parse().ok()?;
    (-(1_i128 << 63)..=(1_i128 << 64) - 1)
        .contains(&value)
        .then_some(value)
}

/// An optional member as read: its value, or `None` with `path` added to `skipped` when it could not be
/// read (docs/parsing-rules.md, section 2: optional fields never fail a response).
pub fn lax<T>(read: Checked<Option<T>>, path: &Path<'_>, skipped: &mut Vec<String>) -> Option<T> {
    read.unwrap_or_else(|_| {
        skipped.push(path.render());
        None
    })
}

/// Reads an object member by member with `member` (which must consume each value), or null; the
/// closure's result is discarded when the value is not an object, which is then the fault.
#[inline]
pub fn opt_object<'a, F>(r: &mut Reader<'a>, path: &Path<'_>, member: F) -> Syn<Checked<bool>>
where
    F: FnMut(&mut Reader<'a>, Cow<'a, str>) -> Syn<()>,
{
    Ok(match r.kind()? {
        Kind::Object => {
            r.object(member)?;
            Ok(true)
        }
        Kind::Null => {
            r.null()?;
            Ok(false)
        }
        _ => Err(wrong(r, "an object", path)?),
    })
}

/// Reads an array element by element with `element`, or null (no elements).
#[inline]
pub fn opt_array<'a, F>(r: &mut Reader<'a>, path: &Path<'_>, element: F) -> Syn<Checked<()>>
where
    F: FnMut(&mut Reader<'a>, usize) -> Syn<()>,
{
    Ok(match r.kind()? {
        Kind::Array => {
            r.array(element)?;
            Ok(())
        }
        Kind::Null => {
            r.null()?;
            Ok(())
        }
        _ => Err(wrong(r, "an array", path)?),
    })
}

/// The first fault among array elements wins; the rest of the array is still read for syntax.
pub fn keep_first<T>(first: &mut Option<Fault>, item: Checked<T>) -> Option<T> {
    match item {
        Ok(value) => Some(value),
        Err(fault) => {
            if first.is_none() {
                *first = Some(fault);
            }
            None
        }
    }
}

/// The first value that is present, in precedence order.
pub fn first<T: Copy>(values: &[Option<T>]) -> Option<T> {
    values.iter().find_map(|v| *v)
}

/// The value of a required array that is absent or null: the provider's own error when it sent one.
#[derive(Default)]
pub enum ErrorField<'a> {
    #[default]
    Absent,
    Text(Cow<'a, str>),
}

/// Reads a top-level `error` member: a string, an object's `message` string, or "" for anything else.
pub fn error_field<'a>(r: &mut Reader<'a>) -> Syn<ErrorField<'a>> {
    Ok(match r.kind()? {
        Kind::Null => {
            r.null()?;
            ErrorField::Absent
        }
        Kind::String => ErrorField::Text(r.string()?),
        Kind::Object => {
            let mut message = Cow::Borrowed("");
            r.object(|r, key| {
                if key == "message" && r.kind()? == Kind::String {
                    message = r.string()?;
                } else if key == "message" {
                    r.skip()?;
                    message = Cow::Borrowed("");
                } else {
                    r.skip()?;
                }
                Ok(())
            })?;
            ErrorField::Text(message)
        }
        _ => {
            r.skip()?;
            ErrorField::Text(Cow::Borrowed(""))
        }
    })
}

/// A required top-level array that was absent (`present` false) or null: the fault to report.
pub fn missing_array(error: &ErrorField<'_>, present: bool, key: &'static str) -> Fault {
    if let ErrorField::Text(text) = error {
        return Path::ROOT.key("error").fault(format!(
            "the response holds an error instead of a result: {text}"
        ));
    }
    let path = Path::ROOT.key(key);
    if present {
        path.fault("expected an array, got null")
    } else {
        path.fault("missing required field")
    }
}

/// Opens a document: empty bodies, bytes that are not JSON and non-objects are errors.
pub fn open(body: &[u8]) -> Result<Reader<'_>, ParseError> {
    if body.is_empty() {
        return Err(ParseError::empty());
    }
    let mut r = Reader::new(body).map_err(|e| ParseError::syntax(&e, body))?;
    let kind = r.kind().map_err(|e| ParseError::syntax(&e, body))?;
    if kind != Kind::Object {
        let mut probe = Reader::new(body).map_err(|e| ParseError::syntax(&e, body))?;
        let name = type_name(&mut probe).and_then(|name| probe.finish().map(|()| name));
        return Err(match name {
            Ok(name) => ParseError::not_an_object(name),
            Err(e) => ParseError::syntax(&e, body),
        });
    }
    Ok(r)
}

/// Ends a document: syntax errors win over shape faults (orjson rejects the bytes before any field
/// is looked at), so trailing garbage after a faulty object is still reported as invalid JSON.
pub fn close<T>(r: &mut Reader<'_>, body: &[u8], result: Syn<Checked<T>>) -> Result<T, ParseError> {
    let checked = result.map_err(|e| ParseError::syntax(&e, body))?;
    r.finish().map_err(|e| ParseError::syntax(&e, body))?;
    checked.map_err(ParseError::fault)
}

/// Labelled counts as read: each entry's slot (`None`: a label not kept) and its count.
pub type Labelled = Vec<(Option<usize>, Option<i128>)>;

/// One list of labelled counts (Gemini's `[{modality, tokenCount}]`, Bedrock's `[{ttl, inputTokens}]`),
/// or null: each entry's label as `slot` maps it (`None`: a label not kept) and its count. A label may
/// also be an integer naming `numbered[n]` (Vertex sends its enums' numbers) when `numbered` is not
/// empty. The first fault in the twin's order: the list, then entry by entry, the label before the count.
pub fn labelled_counts<F>(
    r: &mut Reader<'_>,
    path: &Path<'_>,
    (label, count): (&'static str, &'static str),
    numbered: &[&str],
    slot: F,
) -> Syn<Checked<Labelled>>
where
    F: Fn(&str) -> Option<usize>,
{
    Ok(match r.kind()? {
        Kind::Array => {
            let mut entries: Checked<Labelled> = Ok(Vec::new());
            r.array(|r, i| {
                let at = path.index(i);
                let entry = if matches!(r.kind()?, Kind::Object) {
                    let (mut name, mut value) = (Ok(None), Ok(None));
                    r.object(|r, key| {
                        if key == label && !numbered.is_empty() && r.kind()? == Kind::Number {
                            name = match r.number()? {
                                Number::Int(n) => Ok(usize::try_from(n)
                                    .ok()
                                    .and_then(|n| numbered.get(n))
                                    .and_then(|n| slot(n))),
                                Number::Float(_) => {
                                    Err(at.key(label).fault("expected a string, got number"))
                                }
                            };
                        } else if key == label {
                            name = opt_str(r, &at.key(label))?.map(|n| n.and_then(|n| slot(&n)));
                        } else if key == count {
                            value = opt_int(r, &at.key(count))?;
                        } else {
                            r.skip()?;
                        }
                        Ok(())
                    })?;
                    name.and_then(|name| Ok((name, value?)))
                } else {
                    Err(wrong(r, "an object", &at)?)
                };
                match (entries.as_mut(), entry) {
                    (Ok(list), Ok(entry)) => list.push(entry),
                    (Ok(_), Err(fault)) => entries = Err(fault),
                    (Err(_), _) => {}
                }
                Ok(())
            })?;
            entries
        }
        Kind::Null => r.null().map(|_| Ok(Vec::new()))?,
        _ => Err(wrong(r, "an array", path)?),
    })
}

/// Adds each kept count of `entries` to its slot of `sums`.
pub fn add_labelled(sums: &mut [Option<i128>], entries: Labelled) {
    for (slot, count) in entries {
        if let (Some(slot), Some(count)) = (slot.and_then(|i| sums.get_mut(i)), count) {
            *slot = Some(slot.unwrap_or(0).saturating_add(count));
        }
    }
}
