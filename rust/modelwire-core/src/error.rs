//! Errors: faults in the shape of a document, and the one error type the entry points return.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::json::SyntaxError;

/// How many body bytes on each side of a syntax error the excerpt shows.
pub const SNIPPET_RADIUS: usize = 40;

/// How many bytes beyond the radius, on each side, go with the snippet: the excerpt is masked before it
/// is cut (`modelwire._redact.excerpt`), so a secret that the window's edge would cut is still recognised
/// whole and masked, not left as a fragment.
pub const SNIPPET_REACH: usize = 200;

/// The text on each side of a fault, `SNIPPET_RADIUS + SNIPPET_REACH` bytes at most each, invalid UTF-8
/// replaced (as Python's `decode("utf-8", "replace")` does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub before: String,
    pub after: String,
}

impl Snippet {
    pub fn around(bytes: &[u8], offset: usize) -> Self {
        let wide = SNIPPET_RADIUS + SNIPPET_REACH;
        let offset = offset.min(bytes.len());
        let (head, tail) = bytes.split_at_checked(offset).unwrap_or((bytes, &[]));
        let before = head
            .get(head.len().saturating_sub(wide)..)
            .unwrap_or_default();
        let after = tail.get(..wide.min(tail.len())).unwrap_or_default();
        Self {
            before: String::from_utf8_lossy(before).into_owned(),
            after: String::from_utf8_lossy(after).into_owned(),
        }
    }
}

/// A field of the wrong shape. Kept beside the field's value rather than returned at once, because a
/// later duplicate key replaces the value (orjson keeps the last) and with it the fault. Boxed: it is
/// rare, and every field slot carries room for one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault(Box<(String, String)>);

impl Fault {
    pub fn new(message: String, path: String) -> Self {
        Self(Box::new((message, path)))
    }

    pub fn message(&self) -> &str {
        &self.0.0
    }

    pub fn path(&self) -> &str {
        &self.0.1
    }
}

pub type Checked<T> = Result<T, Fault>;

/// Why a body could not be parsed; the binding turns it into `modelwire.ResponseParseError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub path: Option<String>,
    pub offset: Option<usize>,
    pub snippet: Option<Snippet>,
}

impl ParseError {
    pub fn empty() -> Self {
        Self {
            message: "empty response body".into(),
            path: None,
            offset: Some(0),
            snippet: None,
        }
    }

    pub fn syntax(error: &SyntaxError, body: &[u8]) -> Self {
        Self {
            message: format!("response body is not valid JSON: {}", error.reason),
            path: None,
            offset: Some(error.offset),
            snippet: Some(Snippet::around(body, error.offset)),
        }
    }

    pub fn not_an_object(type_name: &str) -> Self {
        Self {
            message: format!("expected a JSON object, got {type_name}"),
            path: None,
            offset: None,
            snippet: None,
        }
    }

    pub fn fault(fault: Fault) -> Self {
        let (message, path) = *fault.0;
        Self {
            message,
            path: Some(path),
            offset: None,
            snippet: None,
        }
    }
}

impl From<Fault> for ParseError {
    fn from(fault: Fault) -> Self {
        Self::fault(fault)
    }
}

/// Where a field sits in the document, as a chain on the stack; rendered only when a fault needs it.
#[derive(Clone, Copy)]
pub struct Path<'p> {
    parent: Option<&'p Path<'p>>,
    segment: Segment,
}

#[derive(Clone, Copy)]
enum Segment {
    Root,
    Key(&'static str),
    Index(usize),
}

impl<'p> Path<'p> {
    pub const ROOT: Path<'static> = Path {
        parent: None,
        segment: Segment::Root,
    };

    pub fn key(&'p self, key: &'static str) -> Path<'p> {
        Path {
            parent: Some(self),
            segment: Segment::Key(key),
        }
    }

    pub fn index(&'p self, index: usize) -> Path<'p> {
        Path {
            parent: Some(self),
            segment: Segment::Index(index),
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        if let Some(parent) = self.parent {
            parent.render_into(out);
        }
        match self.segment {
            Segment::Root => {}
            Segment::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Index(index) => {
                let _ = write!(out, "[{index}]");
            }
        }
    }

    #[cold]
    pub fn fault(&self, message: impl Into<String>) -> Fault {
        Fault::new(message.into(), self.render())
    }
}

/// A sub-slice of a string that may be borrowed from the body or owned (after unescaping).
pub fn slice<'a>(text: &Cow<'a, str>, start: usize, end: Option<usize>) -> Option<Cow<'a, str>> {
    let end = end.unwrap_or(text.len());
    match text {
        Cow::Borrowed(s) => s.get(start..end).map(Cow::Borrowed),
        Cow::Owned(s) => s.get(start..end).map(|part| Cow::Owned(part.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_like_the_twin() {
        let root = Path::ROOT;
        let choices = root.key("choices");
        let first = choices.index(0);
        let message = first.key("message");
        let calls = message.key("tool_calls");
        let second = calls.index(1);
        assert_eq!(
            second.key("id").render(),
            "choices[0].message.tool_calls[1].id"
        );
        assert_eq!(root.key("usage").render(), "usage");
    }
}
