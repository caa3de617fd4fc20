//! Streamed function-call arguments (`partialArgs`; docs/parsing-rules-gemini.md, section 5; the twin is
//! `modelwire/parsing/pure/gemini_partial.py`): pieces read and checked, and the arguments object they
//! build, written as orjson writes the twin's dict.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::error::{Checked, Fault, Path};
use crate::fields::{opt_str, wrong};
use crate::json::compact::{MAX_WRITE_DEPTH, compact};
use crate::json::{Kind, Reader, Syn};
use crate::message::{required, text_slot};

/// A jsonPath index beyond this would make the arguments absurdly large.
pub const MAX_INDEX: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    Str(Cow<'a, str>),
    /// A number's source text (orjson's writing of it is what `compact` produces).
    Number(&'a str),
    Bool(bool),
    Null,
}

/// One `partialArgs` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece<'a> {
    pub steps: Vec<Step>,
    pub value: Value<'a>,
    pub will_continue: bool,
}

pub fn opt_bool(r: &mut Reader<'_>, path: &Path<'_>) -> Syn<Checked<Option<bool>>> {
    Ok(match r.kind()? {
        Kind::Bool => Ok(Some(r.boolean()?)),
        Kind::Null => {
            r.null()?;
            Ok(None)
        }
        _ => Err(wrong(r, "a boolean", path)?),
    })
}

fn steps(text: &str, path: &Path<'_>) -> Checked<Vec<Step>> {
    let unsupported = || path.fault("unsupported jsonPath");
    let mut rest = text.strip_prefix('$').ok_or_else(unsupported)?;
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[', ']']).unwrap_or(after.len());
            let key = after.get(..end).unwrap_or_default();
            if key.is_empty() {
                return Err(unsupported());
            }
            steps.push(Step::Key(key.to_owned()));
            rest = after.get(end..).unwrap_or_default();
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(after.len());
            let digits = after.get(..end).unwrap_or_default();
            if digits.is_empty() || !after.get(end..).unwrap_or_default().starts_with(']') {
                return Err(unsupported());
            }
            let index = if digits.len() > 6 {
                None
            } else {
                digits.parse::<usize>().ok()
            };
            match index.filter(|i| *i <= MAX_INDEX) {
                Some(index) => steps.push(Step::Index(index)),
                None => return Err(path.fault(format!("jsonPath index beyond {MAX_INDEX}"))),
            }
            rest = after.get(end + 1..).unwrap_or_default();
        } else {
            return Err(unsupported());
        }
    }
    if steps.is_empty() {
        return Err(unsupported());
    }
    Ok(steps)
}

#[derive(Default)]
struct RawPiece<'a> {
    json_path: Option<Checked<Option<Cow<'a, str>>>>,
    string: Option<Checked<Option<Cow<'a, str>>>>,
    number: Option<Checked<Option<&'a str>>>,
    flag: Option<Checked<Option<bool>>>,
    more: Option<Checked<Option<bool>>>,
}

fn piece<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Piece<'a>>> {
    if r.kind()? != Kind::Object {
        return Ok(Err(wrong(r, "an object", path)?));
    }
    let mut raw = RawPiece::default();
    r.object(|r, key| {
        match &*key {
            "jsonPath" => raw.json_path = Some(opt_str(r, &path.key("jsonPath"))?),
            "stringValue" => raw.string = Some(opt_str(r, &path.key("stringValue"))?),
            "numberValue" => {
                raw.number = Some(match r.kind()? {
                    Kind::Number => Ok(Some(r.number_text()?.0)),
                    Kind::Null => r.null().map(|_| Ok(None))?,
                    _ => Err(wrong(r, "a number", &path.key("numberValue"))?),
                });
            }
            "boolValue" => raw.flag = Some(opt_bool(r, &path.key("boolValue"))?),
            "willContinue" => raw.more = Some(opt_bool(r, &path.key("willContinue"))?),
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok((|| {
        let at = path.key("jsonPath");
        let steps = steps(&required(raw.json_path, &at, "a string")?, &at)?;
        let string = text_slot(raw.string)?;
        let number = raw.number.unwrap_or(Ok(None))?;
        let flag = raw.flag.unwrap_or(Ok(None))?;
        let more = raw.more.unwrap_or(Ok(None))?.unwrap_or(false);
        let value = match (string, number, flag) {
            (Some(text), _, _) => Value::Str(text),
            (None, Some(number), _) => Value::Number(number),
            (None, None, Some(flag)) => Value::Bool(flag),
            (None, None, None) => Value::Null,
        };
        Ok(Piece {
            steps,
            value,
            will_continue: more,
        })
    })())
}

/// `partialArgs`: an array of pieces or null; the first fault among them wins.
pub fn pieces<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Vec<Piece<'a>>>> {
    Ok(match r.kind()? {
        Kind::Array => {
            let (mut list, mut fault) = (Vec::new(), None);
            r.array(|r, i| {
                let read = piece(r, &path.index(i))?;
                if let Some(p) = crate::fields::keep_first(&mut fault, read) {
                    list.push(p);
                }
                Ok(())
            })?;
            fault.map_or(Ok(list), Err)
        }
        Kind::Null => {
            r.null()?;
            Ok(Vec::new())
        }
        _ => Err(wrong(r, "an array", path)?),
    })
}

// --- the arguments being built ---------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Null,
    Bool(bool),
    Number(String),
    Str(String),
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
}

impl Node {
    fn get(&self, step: &Step) -> Option<&Node> {
        match (self, step) {
            (Node::Object(members), Step::Key(key)) => {
                members.iter().find(|(k, _)| k == key).map(|(_, v)| v)
            }
            (Node::Array(items), Step::Index(i)) => items.get(*i),
            _ => None,
        }
    }

    /// Sets `step` to `value`; `false` when the step does not fit this node (a key into an array).
    fn put(&mut self, step: &Step, value: Node) -> Option<&mut Node> {
        match (self, step) {
            (Node::Object(members), Step::Key(key)) => {
                let at = match members.iter().position(|(k, _)| k == key) {
                    Some(at) => {
                        if let Some(slot) = members.get_mut(at) {
                            slot.1 = value;
                        }
                        at
                    }
                    None => {
                        members.push((key.clone(), value));
                        members.len() - 1
                    }
                };
                members.get_mut(at).map(|(_, v)| v)
            }
            (Node::Array(items), Step::Index(i)) => {
                while items.len() <= *i {
                    items.push(Node::Null);
                }
                let slot = items.get_mut(*i)?;
                *slot = value;
                Some(slot)
            }
            _ => None,
        }
    }

    fn fits(&self, step: &Step) -> bool {
        matches!(
            (self, step),
            (Node::Object(_), Step::Key(_)) | (Node::Array(_), Step::Index(_))
        )
    }

    fn write(&self, out: &mut String) {
        match self {
            Node::Null => out.push_str("null"),
            Node::Bool(true) => out.push_str("true"),
            Node::Bool(false) => out.push_str("false"),
            Node::Number(text) => out.push_str(text),
            Node::Str(text) => write_string(text, out),
            Node::Object(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(key, out);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
            Node::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
        }
    }
}

fn write_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The arguments of one streamed call, assembled piece by piece (the twin's `Streamed`).
#[derive(Debug, Clone)]
pub struct Streamed {
    tree: Node,
    /// The path of a string that goes on.
    continuing: Option<Vec<Step>>,
}

impl Default for Streamed {
    fn default() -> Self {
        Self {
            tree: Node::Object(Vec::new()),
            continuing: None,
        }
    }
}

impl Streamed {
    pub fn is_empty(&self) -> bool {
        matches!(&self.tree, Node::Object(members) if members.is_empty())
    }

    pub fn apply(&mut self, piece: &Piece<'_>) {
        let Some((last, parents)) = piece.steps.split_last() else {
            return;
        };
        let mut node = &mut self.tree;
        for (i, step) in parents.iter().enumerate() {
            if !node.fits(step) {
                return; // a step of the wrong kind for its container: the piece cannot be placed
            }
            let next_is_key = matches!(piece.steps.get(i + 1), Some(Step::Key(_)));
            let fresh = if next_is_key {
                Node::Object(Vec::new())
            } else {
                Node::Array(Vec::new())
            };
            let keep = node.get(step).is_some_and(|child| {
                matches!(
                    (child, next_is_key),
                    (Node::Object(_), true) | (Node::Array(_), false)
                )
            });
            let child = if keep {
                match node {
                    Node::Object(members) => members
                        .iter_mut()
                        .find(|(k, _)| matches!(step, Step::Key(key) if key == k))
                        .map(|(_, v)| v),
                    Node::Array(items) => match step {
                        Step::Index(i) => items.get_mut(*i),
                        Step::Key(_) => None,
                    },
                    _ => None,
                }
            } else {
                node.put(step, fresh)
            };
            let Some(child) = child else { return };
            node = child;
        }
        if !node.fits(last) {
            return;
        }
        let value = match &piece.value {
            Value::Str(text) => {
                let continues = self.continuing.as_deref() == Some(piece.steps.as_slice());
                match node.get(last) {
                    Some(Node::Str(current)) if continues => Node::Str(format!("{current}{text}")),
                    _ => Node::Str(text.to_string()),
                }
            }
            Value::Number(text) => Node::Number((*text).to_owned()),
            Value::Bool(flag) => Node::Bool(*flag),
            Value::Null => Node::Null,
        };
        node.put(last, value);
        let string = matches!(piece.value, Value::Str(_));
        self.continuing = (string && piece.will_continue).then(|| piece.steps.clone());
    }

    /// The arguments as orjson writes the twin's dict; a fault at `path` when it could not.
    pub fn arguments(&self, path: &str) -> Result<String, Fault> {
        let mut text = String::new();
        self.tree.write(&mut text);
        match compact(&text) {
            Ok(Some(json)) => Ok(json),
            Ok(None) => Err(Fault::new(
                format!("nested more than {MAX_WRITE_DEPTH} levels deep"),
                path.to_owned(),
            )),
            Err(error) => Err(Fault::new(
                format!("not valid JSON: {}", error.reason),
                path.to_owned(),
            )),
        }
    }
}
