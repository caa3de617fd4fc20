//! Reading a ConverseStream event's payload into checked values (nothing is applied here). Every
//! member an event type may read is read into a slot (the last of a repeated key wins); the fold
//! unwraps the slots its type calls for, in the twin's order.

use std::borrow::Cow;

use crate::bedrock::{ConverseCounts, read_usage};
use crate::error::{Checked, Path};
use crate::fields::{opt_int, opt_object, opt_str};
use crate::json::{Reader, Syn};

type Text<'a> = Checked<Option<Cow<'a, str>>>;
type Count = Checked<Option<i128>>;

/// `start.toolUse` of `contentBlockStart`.
#[derive(Default)]
pub(super) struct Tool<'a> {
    pub(super) id: Option<Text<'a>>,
    pub(super) name: Option<Text<'a>>,
    pub(super) kind: Option<Text<'a>>,
}

/// `delta` of `contentBlockDelta`: `text`, `toolUse.input`, `reasoningContent` members.
#[derive(Default)]
pub(super) struct Delta<'a> {
    pub(super) text: Option<Text<'a>>,
    pub(super) tool: Option<Checked<Option<Option<Text<'a>>>>>,
    /// `text`, `signature`, `redactedContent`.
    pub(super) reasoning: Option<Checked<Option<[Option<Text<'a>>; 3]>>>,
}

#[derive(Default)]
pub(super) struct EventRead<'a> {
    pub(super) index: Option<Count>,
    /// `start` and, inside, its `toolUse`.
    pub(super) start: Option<Start<'a>>,
    pub(super) delta: Option<Checked<Option<Delta<'a>>>>,
    pub(super) stop_reason: Option<Text<'a>>,
    pub(super) usage: Option<Checked<Option<ConverseCounts>>>,
}

/// The members of `names` in the object (or null) at `path`, as text slots.
fn texts<'a, const N: usize>(
    r: &mut Reader<'a>,
    path: &Path<'_>,
    names: [&'static str; N],
) -> Syn<Checked<Option<[Option<Text<'a>>; N]>>> {
    let mut slots: [Option<Text<'a>>; N] = std::array::from_fn(|_| None);
    let present = opt_object(r, path, |r, key| {
        match names.iter().position(|n| *n == key) {
            Some(i) => {
                let value = opt_str(r, &path.key(names.get(i).copied().unwrap_or("")))?;
                if let Some(slot) = slots.get_mut(i) {
                    *slot = Some(value);
                }
            }
            None => r.skip()?,
        }
        Ok(())
    })?;
    Ok(present.map(|present| present.then_some(slots)))
}

/// `start`: its type (null: `None`), then its `toolUse` slot (absent: `None`) with that one's type.
pub(super) type Start<'a> = Checked<Option<Option<Checked<Option<Tool<'a>>>>>>;

fn start<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Start<'a>> {
    let mut tool = None;
    let tool_path = path.key("toolUse");
    let present = opt_object(r, path, |r, key| {
        if key != "toolUse" {
            return r.skip();
        }
        let read = texts(r, &tool_path, ["toolUseId", "name", "type"])?;
        tool = Some(read.map(|slots| slots.map(|[id, name, kind]| Tool { id, name, kind })));
        Ok(())
    })?;
    Ok(present.map(|present| present.then_some(tool)))
}

fn delta<'a>(r: &mut Reader<'a>, path: &Path<'_>) -> Syn<Checked<Option<Delta<'a>>>> {
    let mut d = Delta::default();
    let (tool_path, reasoning_path) = (path.key("toolUse"), path.key("reasoningContent"));
    let present = opt_object(r, path, |r, key| {
        match &*key {
            "text" => d.text = Some(opt_str(r, &path.key("text"))?),
            "toolUse" => {
                let read = texts(r, &tool_path, ["input"])?;
                d.tool = Some(read.map(|slots| slots.map(|[input]| input)));
            }
            "reasoningContent" => {
                let names = ["text", "signature", "redactedContent"];
                d.reasoning = Some(texts(r, &reasoning_path, names)?);
            }
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok(present.map(|present| present.then_some(d)))
}

pub(super) fn read_event<'a>(r: &mut Reader<'a>) -> Syn<EventRead<'a>> {
    let root = Path::ROOT;
    let mut read = EventRead::default();
    r.object(|r, key| {
        match &*key {
            "contentBlockIndex" => {
                read.index = Some(opt_int(r, &root.key("contentBlockIndex"))?);
            }
            "start" => read.start = Some(start(r, &root.key("start"))?),
            "delta" => read.delta = Some(delta(r, &root.key("delta"))?),
            "stopReason" => read.stop_reason = Some(opt_str(r, &root.key("stopReason"))?),
            "usage" => read.usage = Some(read_usage(r, &root.key("usage"))?),
            _ => r.skip()?,
        }
        Ok(())
    })?;
    Ok(read)
}
