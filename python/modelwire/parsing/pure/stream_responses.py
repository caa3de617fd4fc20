"""OpenAI Responses API stream events (``response.output_text.delta``, ``response.completed``, ...) folded
into stream events and one ``ChatCompletionResponse`` (docs/stream-rules.md, section 5), with the body
parser's conventions (docs/parsing-rules-responses.md). The pure-Python twin of
``rust/modelwire-core/src/stream/responses.rs``."""

from __future__ import annotations

from typing import Any, Final

from modelwire.parsing.pure._read import (
    Fault,
    opt_dict,
    opt_int,
    opt_list,
    opt_str,
    required_dict,
    required_int,
)
from modelwire.parsing.pure.responses import (
    PIECE_SEPARATOR,
    ReadItem,
    finish_of,
    native_finish,
    opt_whole,
    read_item,
)
from modelwire.parsing.pure.stream_fold import Call, StreamFolder, load_event
from modelwire.parsing.pure.usage import parse_usage
from modelwire.types import ReasoningItem, Usage
from modelwire.types.stream import StreamEvent

__all__ = ["ResponsesStreamFolder"]

_META: Final = ("response.created", "response.in_progress", "response.queued")
_TERMINAL: Final = ("response.completed", "response.incomplete")


class _Item:
    """An output item of the stream, by ``output_index``."""

    __slots__ = ("call", "kind", "reasoning", "streamed", "told")

    def __init__(self, kind: str | None) -> None:
        self.kind = kind
        self.streamed = False  # a delta came for it: its done item adds no text
        self.told: set[Any] = set()  # which of its pieces (text, refusal, reasoning parts) have text
        self.call: Call | None = None
        self.reasoning: ReasoningItem | None = None


class _Meta:
    __slots__ = ("created", "id", "model", "tier")

    def __init__(self, response: dict[str, Any], path: str) -> None:
        self.id = opt_str(response, "id", path)
        self.model = opt_str(response, "model", path)
        self.created = opt_whole(response, "created_at", path)
        self.tier = opt_str(response, "service_tier", path)


class ResponsesStreamFolder(StreamFolder):
    """Responses API events as Server-Sent Events; ``response.completed`` or ``response.incomplete`` ends
    the stream, ``response.failed`` and ``error`` are errors. One choice (index 0), as for a body."""

    __slots__ = ("_items",)

    def __init__(self, provider: str = "openai") -> None:
        super().__init__(provider)
        self._items: dict[int, _Item] = {}
        self._state.choice(0)

    def _fold(self, data: str, number: int, out: list[StreamEvent]) -> None:
        obj = load_event(data, number, self.provider)
        kind = opt_str(obj, "type", "")
        if kind in _PIECES:
            index = required_int(obj, "output_index", "")
            member, slot = _PIECES[kind]
            part = opt_int(obj, slot, "") or 0
            piece = opt_str(obj, member, "")
            if piece:
                self._piece(index, kind, part, piece, out)
        elif kind == "response.function_call_arguments.delta":
            index = required_int(obj, "output_index", "")
            fragment = opt_str(obj, "delta", "")
            call = self._call(index)
            if fragment:
                self._items[index].streamed = True
                self._state.arguments(self._state.choice(0), call, fragment, out)
        elif kind == "response.function_call_arguments.done":
            index = required_int(obj, "output_index", "")
            arguments = opt_str(obj, "arguments", "")
            call = self._call(index)
            if arguments and not call.arguments:
                call.fallback = arguments
        elif kind in ("response.output_item.added", "response.output_item.done"):
            index = required_int(obj, "output_index", "")
            read = read_item(required_dict(obj, "item", ""), "item")
            if kind == "response.output_item.added":
                self._added(index, read, out)
            else:
                self._done(index, read, out)
        elif kind in _META:
            response = opt_dict(obj, "response", "")
            if response is not None:
                self._identify(_Meta(response, "response"))
        elif kind in _TERMINAL:
            self._terminal(required_dict(obj, "response", ""), out)
            self.done = True
        elif kind in ("response.failed", "error"):
            self.error = data

    # --- items -------------------------------------------------------------------------------------------

    def _added(self, index: int, read: ReadItem, out: list[StreamEvent]) -> _Item:
        state, choice = self._state, self._state.choice(0)
        item = self._items[index] = _Item(read.kind)
        if read.kind == "function_call":
            item.call = state.start_call(choice, index, read.call_id, read.name, out)
            if read.arguments:
                item.call.fallback = read.arguments
        elif read.kind == "reasoning":
            item.reasoning = ReasoningItem(read.id, [], [], read.encrypted)
            choice.items.append(item.reasoning)
        return item

    def _done(self, index: int, read: ReadItem, out: list[StreamEvent]) -> None:
        item = self._items.get(index)
        if item is None or item.kind != read.kind:
            item = self._added(index, read, out)
        if read.kind == "message" and not item.streamed:
            self._whole(index, "text", ["".join(read.text)], out)
            self._whole(index, "refusal", ["".join(read.refusal)], out)
        elif read.kind == "function_call" and item.call is not None:
            if read.arguments and not item.call.arguments and not item.call.ended:
                item.call.fallback = read.arguments
            self._state.end_call(self._state.choice(0), item.call, out)
        elif read.kind == "reasoning" and item.reasoning is not None:
            if not item.streamed:
                self._whole(index, "content", read.content, out)
                self._whole(index, "summary", read.summary, out)
            _keep(item.reasoning, read)

    def _whole(self, index: int, kind: str, texts: list[str], out: list[StreamEvent]) -> None:
        """The texts of an item that came whole (no deltas), as if each had been one delta."""
        for part, text in enumerate(texts):
            self._piece(index, _WHOLE[kind], part, text, out, streamed=False)

    def _piece(
        self, index: int, kind: str, part: int, piece: str, out: list[StreamEvent], streamed: bool = True
    ) -> None:
        state, choice = self._state, self._state.choice(0)
        target = _TARGETS[kind]
        item = self._items.get(index)
        if target == "reasoning" and (item is None or item.reasoning is not None):
            have = 0 if item is None or item.reasoning is None else len(_parts(item.reasoning, kind))
            if not 0 <= part <= have:  # parts come in order: an existing one or the next
                raise Fault(f"part {part} of output item {index} comes out of order", _PIECES[kind][1])
        if item is None:
            item = self._added(index, ReadItem("reasoning" if target == "reasoning" else "message"), out)
        if streamed:
            item.streamed = True
        if target == "reasoning" and item.reasoning is not None:
            texts = _parts(item.reasoning, kind)
            if part == len(texts):
                texts.append("")
            texts[part] += piece
        if not piece:
            return
        key = (kind, part) if target == "reasoning" else target
        so_far = {"text": choice.content, "refusal": choice.refusal, "reasoning": choice.reasoning}[target]
        if key not in item.told and so_far:
            piece = PIECE_SEPARATOR + piece
        item.told.add(key)
        if target == "text":
            state.text(choice, piece, out)
        elif target == "refusal":
            state.refusal(choice, piece, out)
        else:
            state.reasoning(choice, piece, out)

    def _call(self, index: int) -> Call:
        item = self._items.get(index)
        if item is None or item.call is None or item.call.ended:
            raise Fault(f"output item {index} is not a function call in progress", "output_index")
        return item.call

    # --- the response --------------------------------------------------------------------------------------

    def _identify(self, meta: _Meta) -> None:
        self._state.identify(meta.id, meta.model)
        self._state.describe(None, meta.tier, meta.created)

    def _terminal(self, response: dict[str, Any], out: list[StreamEvent]) -> None:
        output = opt_list(response, "output", "response") or []
        items = [read_item(item, f"response.output[{i}]") for i, item in enumerate(output)]
        native = native_finish(response, "response")
        usage: Usage | None = parse_usage(response.get("usage"), "response.usage")
        meta = _Meta(response, "response")
        self._identify(meta)
        for index, read in enumerate(items):
            item = self._items.get(index)
            if item is None:  # an item the stream never announced: it came whole
                self._done(index, read, out)
            elif read.kind == "reasoning" and item.reasoning is not None:
                _keep(item.reasoning, read)  # the final encryption is the one to send back
        state, choice = self._state, self._state.choice(0)
        state.end_all(out)
        state.set_usage(usage, out)
        state.finish(choice, native, out, finish_of(native, bool(choice.calls)))


def _keep(kept: ReasoningItem, read: ReadItem) -> None:
    if read.id is not None:
        kept.id = read.id
    if read.encrypted is not None:
        kept.encrypted_content = read.encrypted


def _parts(item: ReasoningItem, kind: str) -> list[str]:
    return item.summary if kind == "response.reasoning_summary_text.delta" else item.content


# Delta events: (member holding the text, member naming the part).
_PIECES: Final = {
    "response.output_text.delta": ("delta", "content_index"),
    "response.refusal.delta": ("delta", "content_index"),
    "response.reasoning_summary_text.delta": ("delta", "summary_index"),
    "response.reasoning_text.delta": ("delta", "content_index"),
}
_TARGETS: Final = {
    "response.output_text.delta": "text",
    "response.refusal.delta": "refusal",
    "response.reasoning_summary_text.delta": "reasoning",
    "response.reasoning_text.delta": "reasoning",
}
_WHOLE: Final = {
    "text": "response.output_text.delta",
    "refusal": "response.refusal.delta",
    "summary": "response.reasoning_summary_text.delta",
    "content": "response.reasoning_text.delta",
}
