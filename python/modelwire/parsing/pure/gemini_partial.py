"""Streamed function-call arguments (``partialArgs``): Gemini 3 with ``streamFunctionCallArguments`` sends a
call as a ``functionCall`` with its ``name`` and ``willContinue: true``, then ``partialArgs`` pieces, each a
value at a ``jsonPath`` (``$.recipe.steps[2]``), then a ``functionCall`` without ``willContinue`` that ends
it (docs/parsing-rules-gemini.md, section 5). A string piece whose previous piece at the same path said
``willContinue`` continues that string. The twin of ``rust/modelwire-core/src/gemini/partial.rs``.
"""

from __future__ import annotations

import re
from typing import Any, Final

from modelwire.parsing.pure._read import Fault, at, dumps_at, expected, opt_str, required_str

__all__ = ["MAX_INDEX", "Piece", "Streamed", "read_pieces"]

MAX_INDEX: Final = 100_000  # a jsonPath index beyond this would make the arguments absurdly large
_STEP = re.compile(r"\.([^.\[\]]+)|\[([0-9]+)\]")
Step = str | int


class Piece:
    """One ``partialArgs`` entry: where, what (``is_string`` for a ``stringValue``), whether it goes on."""

    __slots__ = ("is_string", "steps", "value", "will_continue")

    def __init__(self, steps: list[Step], value: Any, is_string: bool, will_continue: bool) -> None:
        self.steps = steps
        self.value = value
        self.is_string = is_string
        self.will_continue = will_continue


def opt_bool(obj: dict[str, Any], key: str, path: str) -> bool | None:
    value = obj.get(key)
    if value is None or type(value) is bool:
        return value
    raise expected("a boolean", value, at(path, key))


def _steps(text: str, path: str) -> list[Step]:
    steps: list[Step] = []
    position = 1
    if not text.startswith("$"):
        raise Fault("unsupported jsonPath", path)
    while position < len(text):
        found = _STEP.match(text, position)
        if found is None:
            raise Fault("unsupported jsonPath", path)
        key, index = found.groups()
        if key is not None:
            steps.append(key)
        elif len(index) > 6 or int(index) > MAX_INDEX:
            raise Fault(f"jsonPath index beyond {MAX_INDEX}", path)
        else:
            steps.append(int(index))
        position = found.end()
    if not steps:
        raise Fault("unsupported jsonPath", path)
    return steps


def read_pieces(call: dict[str, Any], path: str) -> list[Piece]:
    """``partialArgs`` checked, in order; absent or null is no piece."""
    raw = call.get("partialArgs")
    if raw is None:
        return []
    pieces_path = at(path, "partialArgs")
    if type(raw) is not list:
        raise expected("an array", raw, pieces_path)
    pieces = []
    for k, entry in enumerate(raw):
        entry_path = f"{pieces_path}[{k}]"
        if type(entry) is not dict:
            raise expected("an object", entry, entry_path)
        steps = _steps(required_str(entry, "jsonPath", entry_path), at(entry_path, "jsonPath"))
        text = opt_str(entry, "stringValue", entry_path)
        number = entry.get("numberValue")
        if number is not None and type(number) not in (int, float):
            raise expected("a number", number, at(entry_path, "numberValue"))
        flag = opt_bool(entry, "boolValue", entry_path)
        more = bool(opt_bool(entry, "willContinue", entry_path))
        if text is not None:
            pieces.append(Piece(steps, text, True, more))
        else:
            pieces.append(Piece(steps, number if number is not None else flag, False, more))
    return pieces


def _get(node: Any, step: Step) -> Any:
    if type(node) is dict:
        return node.get(step)
    return node[step] if type(step) is int and step < len(node) else None


def _put(node: Any, step: Step, value: Any) -> None:
    if type(node) is dict:
        node[step] = value
        return
    assert type(step) is int
    while len(node) <= step:
        node.append(None)
    node[step] = value


class Streamed:
    """The arguments of one streamed call, assembled piece by piece."""

    __slots__ = ("continuing", "tree")

    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}
        self.continuing: list[Step] | None = None  # the path of a string that goes on

    def apply(self, piece: Piece) -> None:
        node: Any = self.tree
        steps = piece.steps
        for i, step in enumerate(steps[:-1]):
            want: type = dict if type(steps[i + 1]) is str else list
            if (type(node) is list and type(step) is str) or (type(node) is dict and type(step) is int):
                return  # a step of the wrong kind for its container: the piece cannot be placed
            child = _get(node, step)
            if type(child) is not want:
                child = want()
                _put(node, step, child)
            node = child
        last = steps[-1]
        if (type(node) is list and type(last) is str) or (type(node) is dict and type(last) is int):
            return
        current = _get(node, last)
        if piece.is_string and self.continuing == steps and type(current) is str:
            _put(node, last, current + piece.value)
        else:
            _put(node, last, piece.value)
        self.continuing = steps if piece.is_string and piece.will_continue else None

    def arguments(self, path: str) -> str:
        return dumps_at(self.tree, path)
