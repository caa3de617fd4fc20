//! The header block of an event-stream message: a name (u8 length, UTF-8) and a typed value each.

/// A header value. Timestamps are milliseconds since the epoch; UUIDs their 16 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    Bool(bool),
    Byte(i8),
    Short(i16),
    Int(i32),
    Long(i64),
    Bytes(Vec<u8>),
    String(String),
    Timestamp(i64),
    Uuid([u8; 16]),
}

struct Cursor<'a> {
    block: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let piece = self.block.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(piece)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
}

/// The headers in `block`, or the reason it is malformed (worded as the twin words it).
pub(super) fn parse(block: &[u8]) -> Result<Vec<(String, HeaderValue)>, String> {
    let mut c = Cursor { block, at: 0 };
    let mut headers = Vec::new();
    while c.at < block.len() {
        let size = c.take(1).and_then(|b| b.first().copied()).unwrap_or(0) as usize;
        let name = match c.take(size).filter(|_| size > 0) {
            Some(name) => std::str::from_utf8(name)
                .map_err(|_| "a header name is not valid UTF-8".to_owned())?,
            None => return Err("a header name is empty or cut off".into()),
        };
        let Some(kind) = c.take(1).and_then(|b| b.first().copied()) else {
            return Err(format!("header \"{name}\" has no value"));
        };
        let cut = || format!("the value of header \"{name}\" is cut off");
        let value = match kind {
            0 | 1 => HeaderValue::Bool(kind == 0),
            2 => HeaderValue::Byte(i8::from_be_bytes(c.array().ok_or_else(cut)?)),
            3 => HeaderValue::Short(i16::from_be_bytes(c.array().ok_or_else(cut)?)),
            4 => HeaderValue::Int(i32::from_be_bytes(c.array().ok_or_else(cut)?)),
            5 => HeaderValue::Long(i64::from_be_bytes(c.array().ok_or_else(cut)?)),
            8 => HeaderValue::Timestamp(i64::from_be_bytes(c.array().ok_or_else(cut)?)),
            6 | 7 => {
                let size = u16::from_be_bytes(c.array().ok_or_else(cut)?) as usize;
                let raw = c.take(size).ok_or_else(cut)?;
                if kind == 6 {
                    HeaderValue::Bytes(raw.to_vec())
                } else {
                    let text = std::str::from_utf8(raw).map_err(|_| {
                        format!("the value of header \"{name}\" is not valid UTF-8")
                    })?;
                    HeaderValue::String(text.to_owned())
                }
            }
            9 => HeaderValue::Uuid(c.array().ok_or_else(cut)?),
            _ => return Err(format!("header \"{name}\" has unknown value type {kind}")),
        };
        headers.push((name.to_owned(), value));
    }
    Ok(headers)
}
