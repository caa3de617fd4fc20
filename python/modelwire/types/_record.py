"""The base of every canonical type: slotted, cheap to build, compared and shown by field.

Both parsers (the Rust extension and the pure-Python twin) construct these classes, so equality is
field-by-field over ``_fields`` and ``rust_result == pure_result`` is a meaningful test. Fields that are
caches or retained bytes are kept out of ``_fields`` so they never affect equality or the repr.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = ["Record"]


class Record:
    __slots__ = ()
    # Compared by __eq__ and shown by __repr__, in this order.
    _fields: ClassVar[tuple[str, ...]] = ()

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self._fields)

    __hash__ = None  # type: ignore[assignment]  # mutable records are not hashable

    def __repr__(self) -> str:
        # Fields left at None or empty are omitted: a response repr should fit on a screen.
        shown = ", ".join(
            f"{name}={value!r}"
            for name in self._fields
            if (value := getattr(self, name)) is not None and value != [] and value != ()
        )
        return f"{self.__class__.__name__}({shown})"

    def to_dict(self) -> dict[str, Any]:
        """The compared fields as a plain dict (nested records converted too)."""
        return {name: _plain(getattr(self, name)) for name in self._fields}


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
