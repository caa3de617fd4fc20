//! Tool calls of an assistant message (docs/parsing-rules.md, section 3): `tool_calls` entries (function
//! and custom) and the legacy `function_call`, with arguments sent as an object written as orjson writes
//! them.

use std::borrow::Cow;

use super::{
    Arguments, Text, ToolCall, non_empty, object_or_fault, required, text_members, text_slot,
};
use crate::error::{Checked, Path};
use crate::fields::{keep_first, lax, opt_array, wrong};
use crate::json::compact::{MAX_WRITE_DEPTH, compact};
use crate::json::{Kind, Reader, Syn};

/// A `function` (or legacy `function_call`) object: its name and arguments, each with its fault.
pub(super) struct Function<'a> {
    pub(super) name: Option<Text<'a>>,
    pub(super) arguments: Option<Checked<Arguments<'a>>>,
}

pub(super) fn function<'a>(
    r: &mut Reader<'a>,
    path: &Path<'_>,
) -> Syn<Checked<Option<Function<'a>>>> {
    let mut arguments = None;
    let args_path = path.key("arguments");
    let slots = text_members(r, path, ["name"], |r, key| {
        if key != "arguments" {
            return Ok(false);
        }
        arguments = Some(match r.kind()? {
            Kind::String => Ok(Arguments::Text(r.string()?)),
            Kind::Null => {
                r.null()?;
                Ok(Arguments::Text(Cow::Borrowed("{}")))
            }
            Kind::Object => written(r.text_between(0, r.bytes().len()), r.span()?, &args_path),
            _ => Err(wrong(r, "a string or an object", &args_path)?),
        });
        Ok(true)
    })?;
    Ok(slots.map(|slots| slots.map(|[name]| Function { name, arguments })))
}

/// Arguments (or an Anthropic `input`) sent as an object at `start..end` of `body`, with the
/// `arguments_json` the twin writes with `orjson.dumps`: a fault when orjson could not write it (nested
/// too deeply once duplicate keys are dropped).
pub(crate) fn written<'a>(
    body: &str,
    (start, end): (usize, usize),
    path: &Path<'_>,
) -> Checked<Arguments<'a>> {
    match compact(body.get(start..end).unwrap_or_default()) {
        Ok(Some(json)) => Ok(Arguments::Written { start, end, json }),
        Ok(None) => Err(path.fault(format!("nested more than {MAX_WRITE_DEPTH} levels deep"))),
        // The span was read once already, so this cannot happen; if it did, the body is wrong there.
        Err(error) => Err(path.fault(format!("not valid JSON: {}", error.reason))),
    }
}

/// One tool call, and the paths of its optional members (`id`, `type`) that could not be read.
fn tool_call<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<(ToolCall<'a>, Vec<String>)>> {
    if let Some(fault) = object_or_fault(r, path)? {
        return Ok(Err(fault));
    }
    let (mut func, mut custom) = (None, None);
    let (func_path, custom_path) = (path.key("function"), path.key("custom"));
    let slots = text_members(r, path, ["id", "type"], |r, key| {
        match key {
            "function" => func = Some(function(r, &func_path)?),
            "custom" => {
                custom = Some(text_members(r, &custom_path, ["name", "input"], |_, _| {
                    Ok(false)
                })?)
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok((|| {
        let [id, kind] = slots?.unwrap_or_default();
        let mut skipped = Vec::new();
        let id = non_empty(lax(text_slot(id), &path.key("id"), &mut skipped));
        let kind = lax(text_slot(kind), &path.key("type"), &mut skipped);
        if kind.as_deref() == Some("custom") {
            let [name, input] = required(custom, &custom_path, "an object")?;
            let name = required(name, &custom_path.key("name"), "a string")?;
            let input = text_slot(input)?.unwrap_or(Cow::Borrowed(""));
            let call = ToolCall {
                id,
                name,
                arguments: Arguments::Text(input),
            };
            return Ok((call, skipped));
        }
        let function = required(func, &func_path, "an object")?;
        let name = required(function.name, &func_path.key("name"), "a string")?;
        let arguments = function
            .arguments
            .unwrap_or(Ok(Arguments::Text(Cow::Borrowed("{}"))))?;
        let call = ToolCall {
            id,
            name,
            arguments,
        };
        Ok((call, skipped))
    })())
}

/// The `tool_calls` array, and the paths of the calls' optional members that could not be read.
pub(super) fn tool_calls<'a>(
    r: &mut Reader<'a>,
    path: &Path<'_>,
) -> Syn<Checked<(Vec<ToolCall<'a>>, Vec<String>)>> {
    let (mut calls, mut skipped, mut fault) = (Vec::new(), Vec::new(), None);
    let read = opt_array(r, path, |r, j| {
        if let Some((call, more)) = keep_first(&mut fault, tool_call(r, &path.index(j))?) {
            calls.push(call);
            skipped.extend(more);
        }
        Ok(())
    })?;
    Ok(read.and_then(|()| fault.map_or(Ok((calls, skipped)), Err)))
}
