"""Gemini ``generateContent`` responses (Gemini API and Vertex AI) to canonical types
(docs/parsing-rules-gemini.md).

The pure-Python reference. Candidates become choices; text parts the content, thought parts the reasoning
and thinking blocks, ``functionCall`` parts tool calls, inline images the message's images;
``usageMetadata`` the canonical usage. The reading of one candidate and of the usage is shared with the
stream folder (:mod:`stream_gemini`), which applies the same pieces chunk by chunk.
"""

from __future__ import annotations

from typing import Any, Final

from modelwire.exceptions import ContentPolicyError, ResponseParseError
from modelwire.parsing.pure._read import (
    Fault,
    at,
    dumps_at,
    expected,
    opt_dict,
    opt_int,
    opt_list,
    opt_str,
    run,
)
from modelwire.parsing.pure.finish import normalise_finish_reason
from modelwire.parsing.pure.gemini_partial import Piece, opt_bool, read_pieces
from modelwire.types import (
    AssistantMessage,
    ChatCompletionChoice,
    ChatCompletionResponse,
    ImagePayload,
    ThinkingBlock,
    ToolCall,
    Usage,
    new_tool_call_id,
)

__all__ = [
    "FINISH_REASON_NUMBERS",
    "Candidate",
    "Part",
    "Read",
    "blocked_prompt",
    "error_fault",
    "gemini_usage",
    "parse_gemini_content",
]

# google.ai.generativelanguage / aiplatform FinishReason enum values, for `enum-encoding=int` responses.
FINISH_REASON_NUMBERS: Final = (
    "FINISH_REASON_UNSPECIFIED", "STOP", "MAX_TOKENS", "SAFETY", "RECITATION", "OTHER", "BLOCKLIST",
    "PROHIBITED_CONTENT", "SPII", "MALFORMED_FUNCTION_CALL", "IMAGE_SAFETY", "UNEXPECTED_TOOL_CALL",
)  # fmt: skip
MALFORMED: Final = "MALFORMED_FUNCTION_CALL"


class Part:
    """One ``content.parts`` entry as read. ``kind``: text, thought, call, piece (a piece of a streamed
    call: ``partialArgs``, ``willContinue``, or no ``name``), image or other. A piece carries the fault a
    body reports for it (``body_fault``) and its ``path``."""

    __slots__ = (
        "arguments", "body_fault", "call_id", "image", "kind", "name", "parsed", "path", "pieces",
        "signature", "text", "will_continue",
    )  # fmt: skip

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.text: str | None = None
        self.signature: str | None = None
        self.call_id: str | None = None
        self.name = ""
        self.arguments = "{}"
        self.parsed: dict[str, Any] | None = None
        self.image: ImagePayload | None = None
        self.pieces: list[Piece] = []
        self.will_continue = False
        self.body_fault: Fault | None = None
        self.path = ""

    def tool_call(self) -> ToolCall:
        call_id = self.call_id or new_tool_call_id()
        if self.parsed is None:
            return ToolCall(call_id, self.name, self.arguments)
        return ToolCall(call_id, self.name, self.arguments, self.parsed)


class Candidate:
    """One ``candidates`` entry as read, every field checked."""

    __slots__ = ("finish", "finish_message", "index", "parts")

    def __init__(self, index: int, parts: list[Part], finish: str | None, finish_message: str | None) -> None:
        self.index = index
        self.parts = parts
        self.finish = finish
        self.finish_message = finish_message


def parse_gemini_content(body: bytes, provider: str = "gemini") -> ChatCompletionResponse:
    """A ``GenerateContentResponse`` as a chat completion, one choice per candidate."""
    return run(_parse, body, provider)


class Read:
    """A ``GenerateContentResponse`` (a body or one stream chunk) read and checked, nothing applied."""

    __slots__ = ("candidates", "error", "feedback", "id", "model", "tier", "usage")

    def __init__(self, data: dict[str, Any]) -> None:
        # The order of the checks is the contract: the Rust parser reports the same first fault.
        raw_candidates = opt_list(data, "candidates", "")
        self.feedback = opt_dict(data, "promptFeedback", "")
        usage_raw = opt_dict(data, "usageMetadata", "")
        self.usage = None if usage_raw is None else gemini_usage(usage_raw, "usageMetadata")
        self.id = opt_str(data, "responseId", "")
        self.model = opt_str(data, "modelVersion", "")
        self.tier = None if usage_raw is None else opt_str(usage_raw, "serviceTier", "usageMetadata")
        self.candidates = [
            read_candidate(c, f"candidates[{i}]", i) for i, c in enumerate(raw_candidates or ())
        ]
        self.error = data.get("error")

    def malformed(self, provider: str) -> ResponseParseError | None:
        """The error for the first candidate that finished with ``MALFORMED_FUNCTION_CALL``."""
        for position, candidate in enumerate(self.candidates):
            if candidate.finish == MALFORMED:
                return malformed_call(candidate, f"candidates[{position}].finishReason", provider)
        return None


def _parse(data: dict[str, Any], body: bytes, provider: str) -> ChatCompletionResponse:
    read = Read(data)
    for candidate in read.candidates:  # pieces of a streamed call belong to streams only
        for part in candidate.parts:
            if part.body_fault is not None:
                raise part.body_fault
    if not read.candidates:
        if read.error is not None:
            raise error_fault(read.error)
        blocked = blocked_prompt(read.feedback)
        if blocked is not None:
            raise _blocked_error(*blocked, provider)
    malformed = read.malformed(provider)
    if malformed is not None:
        raise malformed
    return ChatCompletionResponse(
        id=read.id,
        model=read.model,
        choices=[_choice(candidate) for candidate in read.candidates],
        usage=read.usage,
        provider=provider,
        service_tier=read.tier,
        body=body,
    )


def error_fault(error: Any) -> Fault:
    """A top-level ``error`` member where a result was expected (parsing-rules.md's wording)."""
    detail = error.get("message") if type(error) is dict else error
    return Fault(
        f"the response holds an error instead of a result: {detail if type(detail) is str else ''}", "error"
    )


def blocked_prompt(feedback: dict[str, Any] | None) -> tuple[str, str | None] | None:
    """``promptFeedback``'s block reason and message, when the prompt was blocked."""
    if feedback is None:
        return None
    reason = opt_str(feedback, "blockReason", "promptFeedback")
    message = opt_str(feedback, "blockReasonMessage", "promptFeedback")
    return None if not reason else (reason, message)


def _blocked_error(reason: str, message: str | None, provider: str) -> ContentPolicyError:
    text = f"the prompt was blocked ({reason})" + (f": {message}" if message else "")
    return ContentPolicyError(text, provider=provider, provider_code=reason)


def malformed_call(candidate: Candidate, path: str, provider: str) -> ResponseParseError:
    """A ``MALFORMED_FUNCTION_CALL`` finish: the model wrote a call that could not be read."""
    detail = f": {candidate.finish_message}" if candidate.finish_message else ""
    return ResponseParseError(
        f"the model produced a malformed function call ({MALFORMED}){detail}", provider=provider, path=path
    )


def read_candidate(raw: Any, path: str, position: int) -> Candidate:
    if type(raw) is not dict:
        raise expected("an object", raw, path)
    index = opt_int(raw, "index", path)
    content = opt_dict(raw, "content", path)
    content_path = at(path, "content")
    parts_raw = None if content is None else opt_list(content, "parts", content_path)
    parts = [read_part(p, f"{content_path}.parts[{i}]") for i, p in enumerate(parts_raw or ())]
    return Candidate(
        position if index is None else index,
        parts,
        _finish(raw, path),
        opt_str(raw, "finishMessage", path),
    )


def _finish(raw: dict[str, Any], path: str) -> str | None:
    value = raw.get("finishReason")
    if value is None or type(value) is str:
        return value or None
    if type(value) is int:
        if 0 <= value < len(FINISH_REASON_NUMBERS):
            return FINISH_REASON_NUMBERS[value]
        return str(value)
    raise expected("a string or an integer", value, at(path, "finishReason"))


def read_part(raw: Any, path: str) -> Part:
    if type(raw) is not dict:
        raise expected("an object", raw, path)
    signature = opt_str(raw, "thoughtSignature", path)
    thought = raw.get("thought")
    if thought is not None and type(thought) is not bool:
        raise expected("a boolean", thought, at(path, "thought"))
    call = opt_dict(raw, "functionCall", path)
    inline = opt_dict(raw, "inlineData", path)
    text = opt_str(raw, "text", path)
    if call is not None:
        part = _call_part(call, at(path, "functionCall"))
    elif inline is not None:
        inline_path = at(path, "inlineData")
        mime = opt_str(inline, "mimeType", inline_path)
        data = opt_str(inline, "data", inline_path)
        part = Part("image" if mime is not None and mime.startswith("image/") and data else "other")
        if part.kind == "image":
            part.image = ImagePayload(b64_data=data, mime_type=mime)
    elif text is not None:
        part = Part("thought" if thought else "text")
        part.text = text
    else:
        part = Part("other")
    part.signature = signature
    return part


def _call_part(call: dict[str, Any], path: str) -> Part:
    call_id = opt_str(call, "id", path) or None
    name = opt_str(call, "name", path)
    arguments = opt_dict(call, "args", path)
    pieces = read_pieces(call, path)
    will_continue = bool(opt_bool(call, "willContinue", path))
    streamed = "partialArgs" in call or "willContinue" in call
    part = Part("piece" if streamed or name is None else "call")
    part.call_id = call_id
    part.name = name or ""
    if arguments is not None:
        part.arguments = dumps_at(arguments, at(path, "args"))
        part.parsed = arguments
    if part.kind == "piece":
        part.pieces, part.will_continue, part.path = pieces, will_continue, path
        if streamed:
            part.body_fault = Fault("streamed function-call arguments (partialArgs) are not supported", path)
        else:
            part.body_fault = Fault(
                "missing required field" if "name" not in call else "expected a string, got null",
                at(path, "name"),
            )
    return part


def gemini_usage(raw: dict[str, Any], path: str) -> Usage | None:
    """``usageMetadata`` as canonical usage; ``None`` when it holds no count (a blocked prompt's)."""
    prompt = opt_int(raw, "promptTokenCount", path)
    tool_prompt = opt_int(raw, "toolUsePromptTokenCount", path)
    candidates = opt_int(raw, "candidatesTokenCount", path)
    thoughts = opt_int(raw, "thoughtsTokenCount", path)
    cached = opt_int(raw, "cachedContentTokenCount", path)
    total = opt_int(raw, "totalTokenCount", path)
    # promptTokenCount already includes the cached tokens; tool-use prompt tokens are input too.
    input_tokens = None if prompt is None and tool_prompt is None else (prompt or 0) + (tool_prompt or 0)
    # candidatesTokenCount leaves the thoughts out; canonical output counts them (reasoning is a part).
    output = None if candidates is None and thoughts is None else (candidates or 0) + (thoughts or 0)
    if total is None and input_tokens is not None and output is not None:
        total = input_tokens + output
    parts = _modality_parts(raw, path)
    if input_tokens is None and output is None and total is None and cached is None:
        return None
    return Usage(
        input_tokens,
        output,
        total,
        thoughts,
        cached,
        None,
        "provider" if thoughts is not None else None,
        **parts,
    )


_MODALITY_NUMBERS: Final = ("MODALITY_UNSPECIFIED", "TEXT", "IMAGE", "VIDEO", "AUDIO", "DOCUMENT")
_INPUT_PARTS: Final = {
    "AUDIO": "input_audio_tokens",
    "IMAGE": "input_image_tokens",
    "DOCUMENT": "input_image_tokens",
    "VIDEO": "input_video_tokens",
}
# usageMetadata's lists of {modality, tokenCount} -> the canonical part each modality adds to (section 4).
_MODALITY_LISTS: Final = (
    ("promptTokensDetails", _INPUT_PARTS),
    ("toolUsePromptTokensDetails", _INPUT_PARTS),
    ("candidatesTokensDetails", {"AUDIO": "output_audio_tokens", "IMAGE": "output_image_tokens",
                                 "DOCUMENT": "output_image_tokens"}),
    ("cacheTokensDetails", {"AUDIO": "cache_audio_read_tokens", "IMAGE": "cache_image_read_tokens",
                            "DOCUMENT": "cache_image_read_tokens", "VIDEO": "cache_video_read_tokens"}),
)  # fmt: skip


def _modality_parts(raw: dict[str, Any], path: str) -> dict[str, int]:
    parts: dict[str, int] = {}
    for key, fields in _MODALITY_LISTS:
        entries = opt_list(raw, key, path)
        for i, entry in enumerate(entries or ()):
            entry_path = f"{at(path, key)}[{i}]"
            if type(entry) is not dict:
                raise expected("an object", entry, entry_path)
            number = entry.get("modality")
            if type(number) is int:  # Vertex may send its MediaModality enum's number instead of the name
                modality = _MODALITY_NUMBERS[number] if 0 <= number < len(_MODALITY_NUMBERS) else None
            else:
                modality = opt_str(entry, "modality", entry_path)
            count = opt_int(entry, "tokenCount", entry_path)
            field = None if modality is None else fields.get(modality)
            if field is not None and count is not None:
                parts[field] = parts.get(field, 0) + count
    return parts


def _choice(candidate: Candidate) -> ChatCompletionChoice:
    native = candidate.finish
    return ChatCompletionChoice(
        candidate.index, message_of(candidate.parts), normalise_finish_reason(native), native
    )


def message_of(parts: list[Part]) -> AssistantMessage:
    texts: list[str] = []
    reasoning: list[str] = []
    thinking: list[ThinkingBlock] = []
    calls: list[ToolCall] = []
    images: list[ImagePayload] = []
    thought_open = False  # consecutive thought parts are one thinking block (a stream splits them)
    for part in parts:
        if part.kind == "thought":
            text = part.text or ""
            reasoning.append(text)
            if thought_open:
                block = thinking[-1]
                block.thinking = (block.thinking or "") + text
                block.signature = part.signature or block.signature
            else:
                thinking.append(ThinkingBlock(text, part.signature))
            thought_open = True
            continue
        thought_open = False
        if part.signature is not None:
            thinking.append(ThinkingBlock(None, part.signature))
        if part.kind == "text" and part.text is not None:
            texts.append(part.text)
        elif part.kind == "call":
            calls.append(part.tool_call())
        elif part.kind == "image" and part.image is not None:
            images.append(part.image)
    return AssistantMessage(
        "".join(texts) if texts else None,
        "".join(reasoning) or None,
        calls,
        images,
        None,
        thinking,
    )
