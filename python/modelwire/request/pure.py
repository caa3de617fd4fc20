"""The pure-Python twin of the Rust body builder (``modelwire._core.request_body``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import orjson

__all__ = ["request_body"]


def request_body(request: object, fields: Mapping[str, Any] | None, exclude: Collection[str]) -> bytes:
    """The JSON body for ``request``: ``fields`` first, then the set optional fields, then ``extra_body``.

    Each step is a dict update, so a later step replaces an earlier value in place (the key keeps its
    position). Optional fields are ``type(request).BODY_FIELDS`` whose value is not ``None`` and whose
    name is not in ``exclude``; ``extra_body`` is merged flat and wins on a conflict.
    """
    body: dict[str, Any] = {}
    if fields:
        body.update(fields)
    for name in type(request).BODY_FIELDS:  # type: ignore[attr-defined]
        if name not in exclude:
            value = getattr(request, name)
            if value is not None:
                body[name] = value
    extra = getattr(request, "extra_body", None)
    if extra:
        body.update(extra)
    return orjson.dumps(body)
