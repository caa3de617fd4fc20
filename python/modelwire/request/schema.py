"""JSON schemas made acceptable to each provider's strict structured-output mode (dicts in, new dicts out).

- :func:`strict_schema` follows OpenAI's strict mode the way the openai SDK's ``to_strict_json_schema``
  does (the tests compare the two): every object gets ``additionalProperties: false`` (unless it says
  otherwise) and lists every property in ``required``; ``properties``, ``items``, ``anyOf``, ``allOf`` and
  ``$defs``/``definitions`` are walked; a one-branch ``allOf`` is merged into its parent; a ``"default":
  null`` is dropped; a ``$ref`` with sibling keywords is expanded in place (OpenAI rejects such a ref).
- :func:`anthropic_schema` starts from the strict schema and moves the constraints Anthropic's structured
  outputs do not take (numeric bounds, string lengths, ``pattern``-free formats it lacks, array bounds
  other than ``minItems`` 0/1) into the ``description``, as Anthropic's SDK does, so the model still
  sees them and validation still enforces them.
- :func:`gemini_schema` keeps the JSON Schema subset Gemini's ``responseJsonSchema`` documents (``const``
  becomes a one-value ``enum``; ``oneOf`` is read as ``anyOf`` by Gemini and kept as ``anyOf``).

None of them mutates its argument.
"""

from __future__ import annotations

import copy
from typing import Any, Final

__all__ = ["anthropic_schema", "gemini_schema", "strict_schema"]


def _resolve(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"cannot resolve $ref {ref!r}: only local references (#/...) are supported")
    node: Any = root
    for part in ref[2:].split("/"):
        if not isinstance(node, dict) or part not in node:
            raise ValueError(f"$ref {ref!r} points at nothing in the schema")
        node = node[part]
    if not isinstance(node, dict):
        raise ValueError(f"$ref {ref!r} does not point at a schema object")
    return node


def _strict(node: Any, root: dict[str, Any]) -> Any:
    if not isinstance(node, dict):
        return node
    for key in ("$defs", "definitions"):
        defs = node.get(key)
        if isinstance(defs, dict):
            for name, sub in defs.items():
                _strict(sub, root)
                defs[name] = sub
    if node.get("type") == "object" and "additionalProperties" not in node:
        node["additionalProperties"] = False
    properties = node.get("properties")
    if isinstance(properties, dict):
        node["required"] = list(properties)
        for sub in properties.values():
            _strict(sub, root)
    items = node.get("items")
    if isinstance(items, dict):
        _strict(items, root)
    any_of = node.get("anyOf")
    if isinstance(any_of, list):
        for sub in any_of:
            _strict(sub, root)
    all_of = node.get("allOf")
    if isinstance(all_of, list):
        if len(all_of) == 1:
            node.update(_strict(all_of[0], root))
            node.pop("allOf")
        else:
            for sub in all_of:
                _strict(sub, root)
    if "default" in node and node["default"] is None:
        node.pop("default")
    ref = node.get("$ref")
    if isinstance(ref, str) and len(node) > 1:
        target = _resolve(ref, root)
        node.pop("$ref")
        merged = {**target, **node}
        node.clear()
        node.update(merged)
        return _strict(node, root)
    return node


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (a JSON schema object) in the form OpenAI's strict mode accepts."""
    if not isinstance(schema, dict):
        raise TypeError(f"a JSON schema must be an object, not {type(schema).__name__}")
    root = copy.deepcopy(schema)
    return _strict(root, root)  # type: ignore[no-any-return]


# Keywords Anthropic's structured outputs do not accept; they are described instead.
_ANTHROPIC_DESCRIBED: Final = (
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength",
    "maxItems", "uniqueItems", "minProperties", "maxProperties",
)  # fmt: skip


def _walk(node: Any, visit: Any) -> Any:
    """Apply ``visit`` to every schema object under ``node`` (children first), returning the new tree."""
    if isinstance(node, list):
        return [_walk(item, visit) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "$defs", "definitions") and isinstance(value, dict):
            out[key] = {name: _walk(sub, visit) for name, sub in value.items()}
        elif key in ("items", "anyOf", "oneOf", "allOf", "prefixItems", "additionalProperties", "not"):
            out[key] = _walk(value, visit)
        else:
            out[key] = value
    return visit(out)


def _describe(node: dict[str, Any]) -> dict[str, Any]:
    notes = [f"{key}: {node.pop(key)}" for key in _ANTHROPIC_DESCRIBED if key in node]
    min_items = node.get("minItems")
    if isinstance(min_items, int) and min_items > 1:
        notes.append(f"minItems: {node.pop('minItems')}")
    if notes:
        text = "{" + ", ".join(notes) + "}"
        node["description"] = f"{node['description']}\n\n{text}" if node.get("description") else text
    return node


def anthropic_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The strict schema, with what Anthropic's structured outputs reject moved into descriptions."""
    return _walk(strict_schema(schema), _describe)  # type: ignore[no-any-return]


# The keywords Gemini's responseJsonSchema documents; others are dropped.
_GEMINI_KEYS: Final = frozenset(
    {
        "$id", "$defs", "$ref", "$anchor", "type", "format", "title", "description", "enum", "items",
        "prefixItems", "minItems", "maxItems", "minimum", "maximum", "anyOf", "oneOf", "properties",
        "additionalProperties", "required", "propertyOrdering",
    }
)  # fmt: skip


def _gemini(node: dict[str, Any]) -> dict[str, Any]:
    if "const" in node and "enum" not in node:
        node["enum"] = [node["const"]]
    if "oneOf" in node and "anyOf" not in node:
        node["anyOf"] = node.pop("oneOf")
    return {key: value for key, value in node.items() if key in _GEMINI_KEYS}


def gemini_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The strict schema in the subset Gemini's ``responseJsonSchema`` documents."""
    return _walk(strict_schema(schema), _gemini)  # type: ignore[no-any-return]
