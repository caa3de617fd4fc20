//! A JSON value written again exactly as `orjson.dumps(orjson.loads(text))` writes it: compact, each
//! key once (at its first position, with its last value), strings and numbers in orjson's forms.
//!
//! The parsers use it for tool arguments sent as an object, whose canonical `arguments_json` is that
//! text; writing it here saves building the object for orjson to serialise again.

use std::borrow::Cow;
use std::collections::HashMap;

use super::number::Number;
use super::reader::{Kind, Reader, Syn};
use super::write::{write_f64, write_int, write_str};

/// orjson reads containers nested up to 1024 deep but writes at most this many levels.
pub const MAX_WRITE_DEPTH: usize = 254;

/// Objects with more keys than this are checked for duplicates on the general path.
const FEW_KEYS: usize = 16;

/// Why the one-pass writer gave up: the general path decides.
enum Detour {
    Duplicate,
    ManyKeys,
    Escaped,
    Deep,
}

/// The text of the value at the start of `text` (a checked JSON value), or `None` when orjson could
/// not write it (nested deeper than [`MAX_WRITE_DEPTH`] once duplicate keys are dropped).
pub fn compact(text: &str) -> Syn<Option<String>> {
    let mut out = Vec::with_capacity(text.len());
    let written = one_pass(&mut Reader::over(text), &mut out, 1)?;
    if written.is_err() {
        // Duplicate keys can remove deep branches, so depth is judged once they are dropped.
        out.clear();
        if deduplicated(text, &mut out, 1)?.is_err() {
            return Ok(None);
        }
    }
    // Every byte written is either copied from a str or ASCII punctuation.
    Ok(String::from_utf8(out).ok())
}

fn scalar(r: &mut Reader<'_>, kind: Kind, out: &mut Vec<u8>) -> Syn<()> {
    match kind {
        Kind::String => write_str(out, &r.string()?),
        Kind::Number => match r.number()? {
            Number::Int(value) => write_int(out, value),
            Number::Float(value) => write_f64(out, value),
        },
        Kind::Bool => out.extend_from_slice(if r.boolean()? { b"true" } else { b"false" }),
        _ => {
            r.null()?;
            out.extend_from_slice(b"null");
        }
    }
    Ok(())
}

/// Writes the value straight through while no object repeats a key (keys compared as sent: one with
/// an escape takes the general path, where they are compared decoded).
fn one_pass<'a>(r: &mut Reader<'a>, out: &mut Vec<u8>, depth: usize) -> Syn<Result<(), Detour>> {
    let kind = r.kind()?;
    if !matches!(kind, Kind::Object | Kind::Array) {
        return scalar(r, kind, out).map(Ok);
    }
    if depth > MAX_WRITE_DEPTH {
        r.skip()?;
        return Ok(Err(Detour::Deep));
    }
    let mut detour = Ok(());
    if kind == Kind::Array {
        out.push(b'[');
        let mut first = true;
        r.array(|r, _| {
            if detour.is_err() {
                return r.skip();
            }
            if !std::mem::take(&mut first) {
                out.push(b',');
            }
            detour = one_pass(r, out, depth + 1)?;
            Ok(())
        })?;
        out.push(b']');
        return Ok(detour);
    }
    out.push(b'{');
    let mut seen: [&'a str; FEW_KEYS] = [""; FEW_KEYS];
    let mut count = 0;
    r.object(|r, key| {
        if detour.is_err() {
            return r.skip();
        }
        detour = match key {
            Cow::Borrowed(raw) if seen.get(..count).unwrap_or_default().contains(&raw) => {
                Err(Detour::Duplicate)
            }
            Cow::Borrowed(raw) => match seen.get_mut(count) {
                Some(slot) => {
                    *slot = raw;
                    Ok(())
                }
                None => Err(Detour::ManyKeys),
            },
            Cow::Owned(_) => Err(Detour::Escaped),
        };
        if detour.is_err() {
            return r.skip();
        }
        if count > 0 {
            out.push(b',');
        }
        count += 1;
        write_str(out, &key);
        out.push(b':');
        detour = one_pass(r, out, depth + 1)?;
        Ok(())
    })?;
    out.push(b'}');
    Ok(detour)
}

/// Writes the value in `text` with each object's members deduplicated first (by their byte ranges,
/// last one winning), recursing only into the values that survive: depth is judged as orjson judges
/// it, and recursion never goes deeper than the write limit. Slower (each level is scanned twice).
fn deduplicated(text: &str, out: &mut Vec<u8>, depth: usize) -> Syn<Result<(), Detour>> {
    let mut r = Reader::over(text);
    let kind = r.kind()?;
    if !matches!(kind, Kind::Object | Kind::Array) {
        return scalar(&mut r, kind, out).map(Ok);
    }
    if depth > MAX_WRITE_DEPTH {
        return Ok(Err(Detour::Deep));
    }
    if kind == Kind::Array {
        let mut items = Vec::new();
        r.array(|r, _| r.span().map(|span| items.push(span)))?;
        out.push(b'[');
        for (i, (start, end)) in items.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if let Err(deep) = deduplicated(r.text_between(start, end), out, depth + 1)? {
                return Ok(Err(deep));
            }
        }
        out.push(b']');
        return Ok(Ok(()));
    }
    let mut members: Vec<(Cow<'_, str>, (usize, usize))> = Vec::new();
    let mut index: HashMap<Cow<'_, str>, usize> = HashMap::new();
    r.object(|r, key| {
        let span = r.span()?;
        match index.get(&key).and_then(|&i| members.get_mut(i)) {
            Some(member) => member.1 = span,
            None => {
                index.insert(key.clone(), members.len());
                members.push((key, span));
            }
        }
        Ok::<_, super::SyntaxError>(())
    })?;
    out.push(b'{');
    for (i, (key, (start, end))) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, &key);
        out.push(b':');
        if let Err(deep) = deduplicated(r.text_between(start, end), out, depth + 1)? {
            return Ok(Err(deep));
        }
    }
    out.push(b'}');
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn again(text: &str) -> Option<String> {
        compact(text).unwrap()
    }

    #[test]
    fn writes_like_orjson() {
        let cases = [
            (
                r#" { "b" : 1 , "a" : [ true , null , -0 , 1.50 , 1E2 ] } "#,
                r#"{"b":1,"a":[true,null,0,1.5,100.0]}"#,
            ),
            (
                r#"{"s":"\u00e9\/\n\u001f"}"#,
                "{\"s\":\"\u{e9}/\\n\\u001f\"}",
            ),
            (r#"{"a":1,"b":2,"a":{"c":3}}"#, r#"{"a":{"c":3},"b":2}"#),
            (r#"{"a":1,"\u0061":2,"\n":3}"#, r#"{"a":2,"\n":3}"#),
            ("18446744073709551616", "1.8446744073709552e+19"),
            ("[]", "[]"),
            ("{}", "{}"),
        ];
        for (text, written) in cases {
            assert_eq!(again(text).as_deref(), Some(written), "{text}");
        }
    }

    #[test]
    fn many_keys_take_the_general_path() {
        let keys: Vec<String> = (0..40).map(|i| format!("\"k{}\":{i}", i % 30)).collect();
        let text = format!("{{{}}}", keys.join(","));
        let expected: Vec<String> = (0..30)
            .map(|i| format!("\"k{i}\":{}", if i < 10 { i + 30 } else { i }))
            .collect();
        assert_eq!(again(&text), Some(format!("{{{}}}", expected.join(","))));
    }

    #[test]
    fn depth_limit_is_orjsons() {
        let nest = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        assert_eq!(again(&nest(MAX_WRITE_DEPTH)), Some(nest(MAX_WRITE_DEPTH)));
        assert_eq!(again(&nest(MAX_WRITE_DEPTH + 1)), None);
        // The deep branch is replaced by a later duplicate: orjson writes what it loaded.
        let replaced = format!("{{\"a\":{},\"a\":2}}", nest(400));
        assert_eq!(again(&replaced).as_deref(), Some(r#"{"a":2}"#));
    }
}
