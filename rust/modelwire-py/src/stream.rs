//! `OpenAIStreamFolder`, `AnthropicStreamFolder` and `ResponsesStreamFolder` for Python: the core folders, with events built as
//! `modelwire.types.stream` records and responses as `modelwire.types` records (the twin's classes), so
//! both backends return equal objects. Events are built while the core folds each SSE event, straight
//! from the bytes it read: no intermediate Python `str` or dict.

use modelwire_core::finish;
use modelwire_core::stream::{
    self as core, Call, Choice, Event, Folder, Format, Reasoning, Source, State,
};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyNone, PyString};

use crate::classes::{Class, Types, types};
use crate::convert::Context;
use crate::errors::parse_error;
use crate::values::{self, BuildError};

/// The stream event classes and `ThinkingBlock`, with their slot layouts checked once.
struct EventTypes {
    text: Class,
    reasoning: Class,
    refusal: Class,
    start: Class,
    delta: Class,
    end: Class,
    usage: Class,
    finish: Class,
    thinking: Class,
}

static EVENT_TYPES: PyOnceLock<EventTypes> = PyOnceLock::new();

fn event_types(py: Python<'_>) -> PyResult<&EventTypes> {
    EVENT_TYPES.get_or_try_init(py, || {
        let module = "modelwire.types.stream";
        let piece = ["choice", "text"];
        Ok(EventTypes {
            text: Class::load(py, module, "TextDelta", &piece)?,
            reasoning: Class::load(py, module, "ReasoningDelta", &piece)?,
            refusal: Class::load(py, module, "RefusalDelta", &piece)?,
            start: Class::load(
                py,
                module,
                "ToolCallStart",
                &["choice", "index", "id", "name"],
            )?,
            delta: Class::load(
                py,
                module,
                "ToolCallDelta",
                &["choice", "index", "arguments"],
            )?,
            end: Class::load(py, module, "ToolCallEnd", &["choice", "index", "tool_call"])?,
            usage: Class::load(py, module, "UsageUpdate", &["usage"])?,
            finish: Class::load(
                py,
                module,
                "StreamFinish",
                &["choice", "finish_reason", "native_finish_reason"],
            )?,
            thinking: Class::load(
                py,
                "modelwire.types.chat",
                "ThinkingBlock",
                &["thinking", "signature", "redacted_data"],
            )?,
        })
    })
}

pub fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<OpenAIStreamFolder>()?;
    module.add_class::<AnthropicStreamFolder>()?;
    module.add_class::<GeminiStreamFolder>()?;
    module.add_class::<ResponsesStreamFolder>()?;
    module.add_class::<BedrockStreamFolder>()?;
    Ok(())
}

/// What a folder keeps beside the core: its provider label and the ids it generated for tool calls
/// whose first fragment had none (by choice and position), so events and response agree.
struct Labels {
    provider: Py<PyString>,
    generated: Vec<(i128, usize, Py<PyString>)>,
}

impl Labels {
    fn new(py: Python<'_>, provider: &str) -> PyResult<Self> {
        Ok(Self {
            provider: PyString::intern(py, provider).unbind(),
            generated: Vec::new(),
        })
    }
}

struct Builder<'a, 'py> {
    py: Python<'py>,
    types: &'a Types,
    events: &'a EventTypes,
    provider: Bound<'py, PyString>,
    empty: Bound<'py, PyBytes>,
}

fn non_empty(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

fn none(py: Python<'_>) -> Bound<'_, PyAny> {
    PyNone::get(py).to_owned().into_any()
}

impl<'a, 'py: 'a> Builder<'a, 'py> {
    fn new(py: Python<'py>, labels: &Labels) -> PyResult<Self> {
        Ok(Self {
            py,
            types: types(py)?,
            events: event_types(py)?,
            provider: labels.provider.bind(py).clone(),
            empty: PyBytes::new(py, b""),
        })
    }

    fn int(&self, value: i128) -> PyResult<Bound<'py, PyAny>> {
        values::int(self.py, value)
    }

    fn string(&self, text: &str) -> PyResult<Bound<'py, PyAny>> {
        Ok(values::string(self.py, text)?.into_any())
    }

    fn optional(&self, text: Option<&str>) -> PyResult<Bound<'py, PyAny>> {
        text.map_or_else(|| Ok(none(self.py)), |t| self.string(t))
    }

    fn usage(&self, usage: Option<&modelwire_core::usage::Usage>) -> PyResult<Bound<'py, PyAny>> {
        let context = Context {
            py: self.py,
            types: self.types,
            body: &self.empty,
            provider: &self.provider,
        };
        context.usage(usage)
    }

    fn event(
        &self,
        event: Event<'_>,
        generated: &mut Vec<(i128, usize, Py<PyString>)>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (py, e) = (self.py, self.events);
        match event {
            Event::Text { choice, text } => {
                e.text.build(py, [self.int(choice)?, self.string(text)?])
            }
            Event::Reasoning { choice, text } => e
                .reasoning
                .build(py, [self.int(choice)?, self.string(text)?]),
            Event::Refusal { choice, text } => {
                e.refusal.build(py, [self.int(choice)?, self.string(text)?])
            }
            Event::ToolCallStart {
                choice,
                index,
                id,
                name,
            } => {
                let id = match id {
                    Some(id) => self.string(id)?,
                    None => {
                        let made = self
                            .types
                            .new_tool_call_id
                            .bind(py)
                            .call0()?
                            .cast_into::<PyString>()?;
                        generated.push((choice, index, made.clone().unbind()));
                        made.into_any()
                    }
                };
                let index = index.into_pyobject(py)?.into_any();
                e.start
                    .build(py, [self.int(choice)?, index, id, self.string(name)?])
            }
            Event::ToolCallDelta {
                choice,
                index,
                arguments,
            } => {
                let index = index.into_pyobject(py)?.into_any();
                e.delta
                    .build(py, [self.int(choice)?, index, self.string(arguments)?])
            }
            Event::ToolCallEnd {
                choice,
                index,
                call,
            } => {
                let position = index.into_pyobject(py)?.into_any();
                e.end.build(
                    py,
                    [
                        self.int(choice)?,
                        position,
                        self.tool_call(choice, call, generated)?,
                    ],
                )
            }
            Event::Usage(usage) => e.usage.build(py, [self.usage(Some(usage))?]),
            Event::Finish {
                choice,
                native,
                reason,
            } => {
                let normalised = match reason.or_else(|| finish::normalise(native)) {
                    Some(reason) => self.types.finish_reason(py, reason).into_any(),
                    None => none(py),
                };
                e.finish
                    .build(py, [self.int(choice)?, normalised, self.string(native)?])
            }
        }
    }

    fn tool_call(
        &self,
        choice: i128,
        call: &Call,
        generated: &[(i128, usize, Py<PyString>)],
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        let id = match &call.id {
            Some(id) => self.string(id)?,
            None => match generated
                .iter()
                .find(|(c, p, _)| *c == choice && *p == call.position)
            {
                Some((_, _, id)) => id.bind(py).clone().into_any(),
                None => self.types.new_tool_call_id.bind(py).call0()?,
            },
        };
        let json = call.arguments_json();
        // Parsed now when it is a JSON object (as the non-streamed parser does); otherwise left for
        // ToolCall.arguments to raise.
        let parsed = match values::document(py, json) {
            Ok(value) if value.is_exact_instance_of::<PyDict>() => value,
            Ok(_) | Err(BuildError::Syntax(_)) => self.types.unset_chat.bind(py).clone(),
            Err(BuildError::Python(error)) => return Err(error),
        };
        self.types.tool_call.build(
            py,
            [id, self.string(&call.name)?, self.string(json)?, parsed],
        )
    }

    fn logprobs(&self, choice: &Choice) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        let Some(logprobs) = &choice.logprobs else {
            return Ok(none(py));
        };
        let dict = PyDict::new(py);
        for (key, items) in [
            (pyo3::intern!(py, "content"), &logprobs.content),
            (pyo3::intern!(py, "refusal"), &logprobs.refusal),
        ] {
            let value = match items {
                None => none(py),
                Some(items) => {
                    let list = PyList::empty(py);
                    for item in items {
                        list.append(values::document(py, item).map_err(|e| match e {
                            BuildError::Python(error) => error,
                            BuildError::Syntax(error) => {
                                pyo3::exceptions::PyValueError::new_err(error.reason)
                            }
                        })?)?;
                    }
                    list.into_any()
                }
            };
            dict.set_item(key, value)?;
        }
        Ok(dict.into_any())
    }

    fn choice(
        &self,
        choice: &Choice,
        generated: &[(i128, usize, Py<PyString>)],
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        let calls = PyList::empty(py);
        for call in &choice.calls {
            calls.append(self.tool_call(choice.index, call, generated)?)?;
        }
        let thinking = PyList::empty(py);
        for block in &choice.thinking {
            thinking.append(self.events.thinking.build(
                py,
                [
                    self.optional(block.text.as_deref())?,
                    self.optional(block.signature.as_deref())?,
                    self.optional(block.redacted.as_deref())?,
                ],
            )?)?;
        }
        let items = PyList::empty(py);
        for item in &choice.items {
            items.append(self.reasoning_item(item)?)?;
        }
        let message = self.types.message.build(
            py,
            [
                self.optional(choice.content.as_deref())?,
                self.optional(non_empty(&choice.reasoning))?,
                calls.into_any(),
                PyList::empty(py).into_any(),
                self.optional(non_empty(&choice.refusal))?,
                thinking.into_any(),
                items.into_any(),
            ],
        )?;
        let native = choice.finish.as_deref();
        let normalised = match choice.reason.or_else(|| native.and_then(finish::normalise)) {
            Some(reason) => self.types.finish_reason(py, reason).into_any(),
            None => none(py),
        };
        self.types.choice.build(
            py,
            [
                self.int(choice.index)?,
                message,
                normalised,
                self.optional(native)?,
                self.logprobs(choice)?,
            ],
        )
    }

    fn reasoning_item(&self, item: &Reasoning) -> PyResult<Bound<'py, PyAny>> {
        let texts = |parts: &[String]| -> PyResult<Bound<'py, PyAny>> {
            let list = PyList::empty(self.py);
            for part in parts {
                list.append(self.string(part)?)?;
            }
            Ok(list.into_any())
        };
        self.types.reasoning_item.build(
            self.py,
            [
                self.optional(item.id.as_deref())?,
                texts(&item.summary)?,
                texts(&item.content)?,
                self.optional(item.encrypted_content.as_deref())?,
            ],
        )
    }

    fn response(
        &self,
        state: &State,
        generated: &[(i128, usize, Py<PyString>)],
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        let mut order: Vec<&Choice> = state.choices.iter().collect();
        order.sort_by_key(|c| c.index);
        let choices = PyList::empty(py);
        for choice in order {
            choices.append(self.choice(choice, generated)?)?;
        }
        let created = match state.created {
            Some(created) => self.int(created)?,
            None => none(py),
        };
        self.types.chat.build(
            py,
            [
                self.optional(state.id.as_deref())?,
                self.optional(state.model.as_deref())?,
                created,
                choices.into_any(),
                self.usage(state.usage.as_ref())?,
                self.provider.clone().into_any(),
                self.optional(state.system_fingerprint.as_deref())?,
                self.optional(state.service_tier.as_deref())?,
                PyList::new(py, &state.skipped)?.into_any(),
                self.empty.clone().into_any(),
                self.types.unset_chat.bind(py).clone(),
                none(py), // parsed: set by the client for a structured call
                none(py), // cost: the client prices the response after parsing
            ],
        )
    }
}

/// Feeds `chunk` (or, with `None`, ends the stream) and returns the events, with the decoder's rule:
/// events before a failure are returned, the error comes with the next call.
fn fold<'py, F: Format, D: Source + Default>(
    py: Python<'py>,
    folder: &mut Folder<F, D>,
    labels: &mut Labels,
    chunk: Option<&[u8]>,
) -> PyResult<Bound<'py, PyList>> {
    let builder = Builder::new(py, labels)?;
    let list = PyList::empty(py);
    let mut failure: Option<PyErr> = None;
    let generated = &mut labels.generated;
    let mut emit = |event: Event<'_>| {
        if failure.is_none() {
            if let Err(error) = builder.event(event, generated).and_then(|e| list.append(e)) {
                failure = Some(error);
            }
        }
    };
    let result = match chunk {
        Some(chunk) => folder.feed_with(chunk, &mut emit),
        None => folder.finish_with(&mut emit),
    };
    if let Some(error) = failure {
        return Err(error);
    }
    match result {
        Err(error) if list.is_empty() => Err(parse_error(py, error, &builder.provider)),
        _ => Ok(list),
    }
}

fn response<'py, F: Format, D: Source + Default>(
    py: Python<'py>,
    folder: &Folder<F, D>,
    labels: &Labels,
) -> PyResult<Bound<'py, PyAny>> {
    Builder::new(py, labels)?.response(folder.state(), &labels.generated)
}

macro_rules! folder_class {
    ($name:ident, $core:ty, $default:literal, $doc:literal) => {
        #[doc = $doc]
        #[pyclass(module = "modelwire._core")]
        pub struct $name {
            inner: $core,
            labels: Labels,
        }

        #[pymethods]
        impl $name {
            #[new]
            #[pyo3(signature = (provider = $default))]
            fn new(py: Python<'_>, provider: &str) -> PyResult<Self> {
                Ok(Self {
                    inner: <$core>::default(),
                    labels: Labels::new(py, provider)?,
                })
            }

            fn feed<'py>(
                &mut self,
                py: Python<'py>,
                chunk: PyBackedBytes,
            ) -> PyResult<Bound<'py, PyList>> {
                fold(py, &mut self.inner, &mut self.labels, Some(&chunk))
            }

            fn finish<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
                fold(py, &mut self.inner, &mut self.labels, None)
            }

            fn response<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                response(py, &self.inner, &self.labels)
            }

            #[getter]
            fn error(&self) -> Option<&str> {
                self.inner.error()
            }

            #[getter]
            fn done(&self) -> bool {
                self.inner.done()
            }

            #[getter]
            fn provider(&self, py: Python<'_>) -> Py<PyString> {
                self.labels.provider.clone_ref(py)
            }
        }
    };
}

folder_class!(
    OpenAIStreamFolder,
    core::OpenAIFolder,
    "openai",
    "OpenAI-compatible chat completion chunks (SSE) in, stream events out; `data: [DONE]` ends the stream."
);
folder_class!(
    AnthropicStreamFolder,
    core::AnthropicFolder,
    "anthropic",
    "Anthropic Messages stream events (SSE) in, stream events out; `message_stop` ends the stream."
);
folder_class!(
    ResponsesStreamFolder,
    core::ResponsesFolder,
    "openai",
    "OpenAI Responses API events (SSE) in, stream events out; `response.completed` ends the stream."
);
folder_class!(
    BedrockStreamFolder,
    core::BedrockFolder,
    "bedrock",
    "Bedrock ConverseStream events (an AWS event stream) in, stream events out; done after `messageStop` and `metadata`."
);
folder_class!(
    GeminiStreamFolder,
    core::GeminiFolder,
    "gemini",
    "Gemini / Vertex AI `streamGenerateContent?alt=sse` chunks in, stream events out; done once every candidate has a finish reason."
);
