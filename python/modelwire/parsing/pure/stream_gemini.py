"""Gemini ``streamGenerateContent?alt=sse`` folded into stream events and one ``ChatCompletionResponse``
(docs/parsing-rules-gemini.md, section 5). The pure-Python twin of
``rust/modelwire-core/src/stream/gemini.rs``.

Every SSE ``data:`` payload is a whole ``GenerateContentResponse`` holding the next pieces: text parts are
deltas, each ``functionCall`` part a complete call, ``usageMetadata`` the cumulative counts so far. The
stream has no terminator event: ``done`` is set when every candidate seen has a ``finishReason`` and the
chunk carrying the last of them has been folded (usage rides on that same chunk). A chunk holding only an
``error`` object, or a blocked prompt (``promptFeedback.blockReason`` and no candidate), is the stream's
error: it is kept in ``error`` for the errors layer to classify.
"""

from __future__ import annotations

from modelwire.parsing.pure._read import Fault
from modelwire.parsing.pure.gemini import Candidate, Part, Read, blocked_prompt
from modelwire.parsing.pure.gemini_partial import Streamed
from modelwire.parsing.pure.stream_fold import Call, ChoiceState, StreamFolder, Thinking, load_event
from modelwire.types.stream import StreamEvent

__all__ = ["GeminiStreamFolder"]


class GeminiStreamFolder(StreamFolder):
    """Gemini API / Vertex AI ``GenerateContentResponse`` chunks as Server-Sent Events."""

    __slots__ = ("_open_thought", "_streamed")

    def __init__(self, provider: str = "gemini") -> None:
        super().__init__(provider)
        # Per choice: whether its last part was a thought (a following thought part extends that block).
        self._open_thought: dict[int, bool] = {}
        # Per choice: the call whose arguments arrive as partialArgs, its arguments so far, its path.
        self._streamed: dict[int, tuple[Call, Streamed, str]] = {}

    def _fold(self, data: str, number: int, out: list[StreamEvent]) -> None:
        read = Read(load_event(data, number, self.provider))
        if not read.candidates and (read.error is not None or blocked_prompt(read.feedback) is not None):
            self.error = data
            return
        malformed = read.malformed(self.provider)
        if malformed is not None:
            raise malformed
        state = self._state
        state.identify(read.id, read.model)
        state.describe(None, read.tier, None)
        for candidate in read.candidates:
            self._candidate(candidate, out)
        state.set_usage(read.usage, out)
        if state.choices and all(choice.finish for choice in state.choices.values()):
            state.end_all(out)
            self.done = True

    def _candidate(self, candidate: Candidate, out: list[StreamEvent]) -> None:
        state = self._state
        choice = state.choice(candidate.index)
        for part in candidate.parts:
            if part.kind == "thought":
                text = part.text or ""
                if self._open_thought.get(choice.index):
                    thinking = choice.thinking[-1]
                    thinking.signature = part.signature or thinking.signature
                else:
                    thinking = Thinking(None, part.signature, None)
                    choice.thinking.append(thinking)
                thinking.text = text if thinking.text is None else thinking.text + text
                state.reasoning(choice, text, out)
                self._open_thought[choice.index] = True
                continue
            self._open_thought[choice.index] = False
            if part.signature is not None:
                choice.thinking.append(Thinking(None, part.signature, None))
            if part.kind == "text" and part.text is not None:
                state.text(choice, part.text, out)
            elif part.kind == "call":
                self._close(choice, out)
                call = state.start_call(choice, None, part.call_id, part.name, out)
                if part.parsed is not None:  # as a non-streamed call: no `args`, no fragment
                    state.arguments(choice, call, part.arguments, out)
                state.end_call(choice, call, out)
            elif part.kind == "piece":
                self._piece(choice, part, out)
        if candidate.finish:
            self._close(choice, out)
        state.finish(choice, candidate.finish, out)

    def _piece(self, choice: ChoiceState, part: Part, out: list[StreamEvent]) -> None:
        """A piece of a streamed call: a named one starts a call, the others continue the open one."""
        if part.name:
            self._close(choice, out)
            call = self._state.start_call(choice, None, part.call_id, part.name, out)
            self._streamed[choice.index] = (call, Streamed(), part.path)
        elif choice.index not in self._streamed:
            raise Fault("a piece of a streamed function call, but no call was started", part.path)
        streamed = self._streamed[choice.index][1]
        for piece in part.pieces:
            streamed.apply(piece)
        if not part.will_continue:
            self._close(choice, out)

    def _close(self, choice: ChoiceState, out: list[StreamEvent]) -> None:
        """Ends the choice's streamed call, its assembled arguments as one fragment."""
        open_call = self._streamed.pop(choice.index, None)
        if open_call is None:
            return
        call, streamed, path = open_call
        if streamed.tree:
            self._state.arguments(choice, call, streamed.arguments(path), out)
        self._state.end_call(choice, call, out)
