//! The Python classes the parsers build, looked up once and cached, with their slot names interned.
//!
//! Objects are made the way `object.__new__` makes them and their slots filled directly: the
//! canonical classes are plain slotted records, and skipping the Python-level `__init__` call is the
//! largest single saving in building a response (measured in benches/README.md). The slot layout is
//! checked against `__slots__` when the cache is built, so a change to `modelwire.types` fails loudly.

use pyo3::exceptions::PyImportError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyString, PyTuple, PyType};

/// One canonical class and how to fill its slots, in `__slots__` order.
pub struct Class {
    class: Py<PyType>,
    slots: Vec<Slot>,
}

/// Where a slot's value goes: its byte offset in the instance (read from the slot's member
/// descriptor), or, under the stable ABI where that struct is opaque, the slot's name for `setattr`.
enum Slot {
    #[cfg(not(feature = "abi3"))]
    Offset(usize),
    #[cfg_attr(not(feature = "abi3"), allow(dead_code))]
    Name(Py<PyString>),
}

impl Slot {
    fn locate(class: &Bound<'_, PyType>, name: &str) -> PyResult<Self> {
        #[cfg(not(feature = "abi3"))]
        {
            let descriptor = class.getattr("__dict__")?.get_item(name)?;
            let member_type = class
                .py()
                .import("types")?
                .getattr("MemberDescriptorType")?;
            if descriptor.get_type().is(&member_type) {
                // SAFETY: a member_descriptor object is a PyMemberDescrObject whose d_member points at
                // the PyMemberDef the class was built with; both live as long as the class.
                let member =
                    unsafe { &*(*descriptor.as_ptr().cast::<ffi::PyMemberDescrObject>()).d_member };
                if member.type_code == ffi::Py_T_OBJECT_EX && member.flags & ffi::Py_READONLY == 0 {
                    if let Ok(offset) = usize::try_from(member.offset) {
                        return Ok(Self::Offset(offset));
                    }
                }
            }
        }
        Ok(Self::Name(PyString::intern(class.py(), name).unbind()))
    }
}

impl Class {
    pub fn load(py: Python<'_>, module: &str, name: &str, slots: &[&str]) -> PyResult<Self> {
        let class = py.import(module)?.getattr(name)?.cast_into::<PyType>()?;
        let declared = class.getattr("__slots__")?;
        let expected = PyTuple::new(py, slots)?;
        if !declared.eq(&expected)? {
            return Err(PyImportError::new_err(format!(
                "modelwire._core was built for {name}.__slots__ == {expected}, but the class has {declared}; \
                 rebuild the extension"
            )));
        }
        let slots = slots
            .iter()
            .map(|slot| Slot::locate(&class, slot))
            .collect::<PyResult<_>>()?;
        Ok(Self {
            class: class.unbind(),
            slots,
        })
    }

    /// A new instance with every slot set to `values` (in slot order), without calling `__init__`.
    pub fn build<'py, const N: usize>(
        &self,
        py: Python<'py>,
        values: [Bound<'py, PyAny>; N],
    ) -> PyResult<Bound<'py, PyAny>> {
        if self.slots.len() != N {
            return Err(PyImportError::new_err(
                "modelwire._core slot count mismatch",
            ));
        }
        // SAFETY: `class` is a live type object; PyType_GenericAlloc returns a new, zeroed (every slot
        // NULL) and GC-tracked instance, or NULL with an exception set.
        let object = unsafe {
            let ptr = ffi::PyType_GenericAlloc(self.class.as_ptr().cast::<ffi::PyTypeObject>(), 0);
            Bound::from_owned_ptr_or_err(py, ptr)?
        };
        for (slot, value) in self.slots.iter().zip(values) {
            match slot {
                #[cfg(not(feature = "abi3"))]
                Slot::Offset(offset) => {
                    // SAFETY: the offset comes from this class's own T_OBJECT_EX member, so it lies
                    // inside the instance and holds a NULL PyObject pointer; it takes our reference,
                    // exactly as member_set would (there is no old value to release).
                    unsafe {
                        let field = object
                            .as_ptr()
                            .cast::<u8>()
                            .add(*offset)
                            .cast::<*mut ffi::PyObject>();
                        *field = value.into_ptr();
                    }
                }
                Slot::Name(name) => object.setattr(name.bind(py), value)?,
            }
        }
        Ok(object)
    }
}

/// Everything the conversions need from Python, fetched once per interpreter.
pub struct Types {
    pub tool_call: Class,
    pub thinking_block: Class,
    pub reasoning_item: Class,
    pub message: Class,
    pub choice: Class,
    pub chat: Class,
    pub usage: Class,
    pub embeddings: Class,
    pub image: Class,
    pub images: Class,
    /// The "not computed yet" sentinels of the chat, embeddings and images modules.
    pub unset_chat: Py<PyAny>,
    pub unset_embeddings: Py<PyAny>,
    pub unset_images: Py<PyAny>,
    pub new_tool_call_id: Py<PyAny>,
    /// Strings every response repeats: the default providers, "provider", the finish reasons.
    pub openai: Py<PyString>,
    pub anthropic: Py<PyString>,
    pub provider_source: Py<PyString>,
    pub finish_reasons: Vec<(&'static str, Py<PyString>)>,
    pub repeated: Vec<(&'static str, Py<PyString>)>,
    pub orjson_dumps: Py<PyAny>,
    pub response_parse_error: Py<PyAny>,
    /// `modelwire.parsing.pure._read.log_skipped`: the one DEBUG line for fields left out.
    pub log_skipped: Py<PyAny>,
}

static TYPES: PyOnceLock<Types> = PyOnceLock::new();

/// Values providers send word for word in most responses (native finish reasons, service tiers):
/// one shared string each instead of a new one per response.
const REPEATED: [&str; 11] = [
    "stop",
    "tool_calls",
    "length",
    "end_turn",
    "tool_use",
    "max_tokens",
    "stop_sequence",
    "default",
    "standard",
    "auto",
    "completed",
];

impl Types {
    /// The interned Python string of a normalised finish reason.
    pub fn finish_reason<'py>(&self, py: Python<'py>, reason: &str) -> Bound<'py, PyString> {
        match self
            .finish_reasons
            .iter()
            .find(|(known, _)| *known == reason)
        {
            Some((_, string)) => string.bind(py).clone(),
            None => PyString::new(py, reason),
        }
    }

    /// `text` as a Python string, shared when it is one of the values responses repeat.
    pub fn repeated<'py>(&self, py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyString>> {
        match self.repeated.iter().find(|(known, _)| *known == text) {
            Some((_, string)) => Ok(string.bind(py).clone()),
            None => crate::values::string(py, text),
        }
    }
}

pub fn types(py: Python<'_>) -> PyResult<&Types> {
    TYPES.get_or_try_init(py, || load(py))
}

fn load(py: Python<'_>) -> PyResult<Types> {
    let chat = "modelwire.types.chat";
    let sentinel = |module: &str| -> PyResult<Py<PyAny>> {
        Ok(py.import(module)?.getattr("_UNSET")?.unbind())
    };
    Ok(Types {
        tool_call: Class::load(
            py,
            chat,
            "ToolCall",
            &["id", "name", "arguments_json", "_arguments"],
        )?,
        thinking_block: Class::load(
            py,
            chat,
            "ThinkingBlock",
            &["thinking", "signature", "redacted_data"],
        )?,
        reasoning_item: Class::load(
            py,
            chat,
            "ReasoningItem",
            &["id", "summary", "content", "encrypted_content"],
        )?,
        message: Class::load(
            py,
            chat,
            "AssistantMessage",
            &[
                "content",
                "reasoning_content",
                "tool_calls",
                "images",
                "refusal",
                "thinking_blocks",
                "reasoning_items",
            ],
        )?,
        choice: Class::load(
            py,
            chat,
            "ChatCompletionChoice",
            &[
                "index",
                "message",
                "finish_reason",
                "native_finish_reason",
                "logprobs",
            ],
        )?,
        chat: Class::load(
            py,
            chat,
            "ChatCompletionResponse",
            &[
                "id",
                "model",
                "created",
                "choices",
                "usage",
                "provider",
                "system_fingerprint",
                "service_tier",
                "skipped",
                "body",
                "_raw",
                "_parsed",
                "cost",
            ],
        )?,
        usage: Class::load(
            py,
            "modelwire.types.usage",
            "Usage",
            &[
                "input_tokens",
                "output_tokens",
                "total_tokens",
                "reasoning_tokens",
                "cache_read_tokens",
                "cache_write_tokens",
                "reasoning_token_count_source",
                "generated_images",
                "cache_write_5m_tokens",
                "cache_write_1h_tokens",
                "input_audio_tokens",
                "output_audio_tokens",
                "input_image_tokens",
                "output_image_tokens",
                "input_video_tokens",
                "cache_audio_read_tokens",
                "cache_image_read_tokens",
                "cache_video_read_tokens",
            ],
        )?,
        embeddings: Class::load(
            py,
            "modelwire.types.embeddings",
            "EmbeddingResponse",
            &[
                "buffer",
                "count",
                "dimensions",
                "model",
                "usage",
                "provider",
                "skipped",
                "body",
                "_raw",
                "_vectors",
                "cost",
            ],
        )?,
        image: Class::load(
            py,
            "modelwire.types.images",
            "ImagePayload",
            &["b64_data", "mime_type", "url", "revised_prompt"],
        )?,
        images: Class::load(
            py,
            "modelwire.types.images",
            "ImageGenerationResponse",
            &[
                "images", "usage", "created", "model", "provider", "skipped", "body", "_raw",
                "cost",
            ],
        )?,
        unset_chat: sentinel(chat)?,
        unset_embeddings: sentinel("modelwire.types.embeddings")?,
        unset_images: sentinel("modelwire.types.images")?,
        new_tool_call_id: py
            .import("modelwire.types")?
            .getattr("new_tool_call_id")?
            .unbind(),
        openai: PyString::intern(py, "openai").unbind(),
        anthropic: PyString::intern(py, "anthropic").unbind(),
        provider_source: PyString::intern(py, "provider").unbind(),
        finish_reasons: modelwire_core::finish::VOCABULARY
            .iter()
            .map(|reason| (*reason, PyString::intern(py, reason).unbind()))
            .collect(),
        repeated: REPEATED
            .iter()
            .map(|word| (*word, PyString::intern(py, word).unbind()))
            .collect(),
        orjson_dumps: py.import("orjson")?.getattr("dumps")?.unbind(),
        response_parse_error: py
            .import("modelwire.exceptions")?
            .getattr("ResponseParseError")?
            .unbind(),
        log_skipped: py
            .import("modelwire.parsing.pure._read")?
            .getattr("log_skipped")?
            .unbind(),
    })
}
