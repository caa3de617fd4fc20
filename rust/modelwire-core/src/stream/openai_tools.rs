//! Reading the tool-call fragments of an OpenAI delta (`tool_calls`, legacy `function_call`, `custom`).

use std::borrow::Cow;

use crate::error::{Checked, Path};
use crate::fields::{keep_first, opt_int, opt_object, opt_str, wrong};
use crate::json::{Kind, Reader, Syn};

use super::compact::compact;

type Text<'a> = Checked<Option<Cow<'a, str>>>;

/// One tool-call fragment as read: `key` is its `index` (None: a legacy `function_call`).
pub(super) struct Tool<'a> {
    pub(super) key: Option<i128>,
    pub(super) id: Option<Cow<'a, str>>,
    pub(super) name: Cow<'a, str>,
    pub(super) arguments: Cow<'a, str>,
}

fn slot<T>(slot: Option<Checked<Option<T>>>) -> Checked<Option<T>> {
    slot.unwrap_or(Ok(None))
}

pub(super) fn read_tools<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Vec<Tool<'a>>>> {
    Ok(match r.kind()? {
        Kind::Null => {
            r.null()?;
            Ok(Vec::new())
        }
        Kind::Array => {
            let (mut tools, mut fault) = (Vec::new(), None);
            r.array(|r, j| {
                if let Some(tool) = keep_first(&mut fault, read_tool(r, j, &path.index(j))?) {
                    tools.push(tool);
                }
                Ok(())
            })?;
            fault.map_or(Ok(tools), Err)
        }
        _ => Err(wrong(r, "an array", path)?),
    })
}

fn read_tool<'a>(r: &mut Reader<'a>, position: usize, path: &Path<'_>) -> Syn<Checked<Tool<'a>>> {
    if r.kind()? != Kind::Object {
        return Ok(Err(wrong(r, "an object", path)?));
    }
    let (mut index, mut id, mut kind) = (Ok(None), Ok(None), Ok(None));
    let (mut function, mut custom) = (None, None);
    let (function_path, custom_path) = (path.key("function"), path.key("custom"));
    r.object(|r, key| {
        match &*key {
            "index" => index = opt_int(r, &path.key("index"))?,
            "id" => id = opt_str(r, &path.key("id"))?,
            "type" => kind = opt_str(r, &path.key("type"))?,
            "function" => {
                function = Some(read_function(r, &function_path, Some("arguments"), None)?)
            }
            "custom" => custom = Some(read_function(r, &custom_path, None, Some("input"))?),
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok((|| {
        let key = index?.unwrap_or(position as i128);
        let id: Option<Cow<'a, str>> = id?.filter(|i: &Cow<'_, str>| !i.is_empty());
        let body = if kind?.as_deref() == Some("custom") {
            custom
        } else {
            function
        };
        let tool = slot(body)?.unwrap_or(Tool {
            key: None,
            id: None,
            name: Cow::Borrowed(""),
            arguments: Cow::Borrowed(""),
        });
        Ok(Tool {
            key: Some(key),
            id,
            ..tool
        })
    })())
}

/// A `function` (or legacy `function_call`, or `custom`) object: its name and its arguments, read
/// from `arguments` (a string, or an object written compactly) or from `input` (a string).
pub(super) fn read_function<'a>(
    r: &mut Reader<'a>,
    path: &Path<'_>,
    arguments_key: Option<&str>,
    input_key: Option<&str>,
) -> Syn<Checked<Option<Tool<'a>>>> {
    let arguments_key = arguments_key.or(if input_key.is_none() {
        Some("arguments")
    } else {
        None
    });
    let (mut name, mut arguments): (Text<'a>, Checked<Cow<'a, str>>) =
        (Ok(None), Ok(Cow::Borrowed("")));
    let present = opt_object(r, path, |r, key| {
        if key == "name" {
            name = opt_str(r, &path.key("name"))?;
        } else if Some(&*key) == input_key {
            arguments = opt_str(r, &path.key("input"))?.map(Option::unwrap_or_default);
        } else if Some(&*key) == arguments_key {
            arguments = read_arguments(r, &path.key("arguments"))?;
        } else {
            r.skip()?;
        }
        Ok(())
    })?;
    Ok((|| {
        if !present? {
            return Ok(None);
        }
        Ok(Some(Tool {
            key: None,
            id: None,
            name: name?.unwrap_or_default(),
            arguments: arguments?,
        }))
    })())
}

fn read_arguments<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Cow<'a, str>>> {
    Ok(match r.kind()? {
        Kind::String => Ok(r.string()?),
        Kind::Null => {
            r.null()?;
            Ok(Cow::Borrowed(""))
        }
        Kind::Object => match compact(r)? {
            Some(text) => Ok(Cow::Owned(text)),
            None => Err(path.fault("arguments are nested too deeply to serialize")),
        },
        _ => Err(wrong(r, "a string or an object", path)?),
    })
}
