"""The strict-schema transformation against the openai SDK's ``to_strict_json_schema`` (the oracle) on
models that exercise every rule, and the Anthropic and Gemini variants' own rules."""

from __future__ import annotations

import copy
from enum import Enum
from typing import Annotated, Any, Literal

import pytest
from openai.lib._pydantic import to_strict_json_schema
from pydantic import BaseModel, Field, TypeAdapter
from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

from modelwire.config import ModelSpec
from modelwire.facade.structured import OutputType, mode_for, output_type
from modelwire.request.schema import anthropic_schema, gemini_schema, strict_schema


class Kind(Enum):
    A = "a"
    B = "b"


class Leaf(BaseModel):
    """A leaf."""

    value: Annotated[int, Field(ge=0, le=10, description="a small number")]
    label: Annotated[str, Field(min_length=2, max_length=5)] = "ab"


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool = True


class Nested(BaseModel):
    leaf: Leaf
    leaves: list[Leaf]
    maybe: Leaf | None = None
    kind: Kind = Kind.A
    pet: Cat | Dog
    mapping_free: dict[str, int] | None = None
    described: Annotated[Leaf, Field(description="a described ref")]


class Tree(BaseModel):
    name: str
    children: list[Tree] = []
    parent: Tree | None = None


class Owner(BaseModel):
    pet: Annotated[Cat | Dog, Field(discriminator="kind")]  # oneOf + discriminator, left as the SDK does
    score: float = 0.5
    counts: dict[str, int] = {}


class Movie(TypedDict):
    title: str
    year: int


MODELS = [Leaf, Nested, Tree, Cat, Owner]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_strict_schema_matches_the_openai_sdk(model: type[BaseModel]) -> None:
    schema = model.model_json_schema()
    before = copy.deepcopy(schema)
    assert strict_schema(schema) == to_strict_json_schema(model)
    assert schema == before  # the argument is left alone


def test_a_typed_dict_matches_the_openai_sdk_too() -> None:
    assert strict_schema(TypeAdapter(Movie).json_schema()) == to_strict_json_schema(TypeAdapter(Movie))


def _objects(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            found.append(node)
        for value in node.values():
            found.extend(_objects(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_objects(value))
    return found


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_object_is_closed_and_fully_required(model: type[BaseModel]) -> None:
    for variant in (strict_schema, anthropic_schema, gemini_schema):
        for node in _objects(variant(model.model_json_schema())):
            assert node["additionalProperties"] is False or isinstance(node["additionalProperties"], dict)
            assert node.get("required", []) == list(node.get("properties", {}))


def test_anthropic_moves_unsupported_constraints_into_the_description() -> None:
    schema = anthropic_schema(Leaf.model_json_schema())
    value = schema["properties"]["value"]
    assert "minimum" not in value
    assert "maximum" not in value
    assert value["description"] == "a small number\n\n{minimum: 0, maximum: 10}"
    label = schema["properties"]["label"]
    assert "minLength" not in label
    assert label["description"] == "{minLength: 2, maxLength: 5}"


def test_gemini_keeps_its_documented_subset() -> None:
    schema = gemini_schema(Nested.model_json_schema())
    cat = schema["$defs"]["Cat"]["properties"]["kind"]
    assert cat == {"enum": ["cat"], "title": "Kind", "type": "string"}  # const -> a one-value enum
    assert "discriminator" not in str(schema)
    assert "default" not in str(schema)
    leaf = gemini_schema(Leaf.model_json_schema())["properties"]["value"]
    assert (leaf["minimum"], leaf["maximum"]) == (0, 10)  # Gemini takes numeric bounds
    assert "minLength" not in gemini_schema(Leaf.model_json_schema())["properties"]["label"]


def test_a_ref_that_points_nowhere_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="points at nothing"):
        strict_schema({"$ref": "#/$defs/Missing", "description": "x"})
    with pytest.raises(ValueError, match="only local references"):
        strict_schema({"$ref": "https://example.com/s.json", "description": "x"})


def test_recursive_models_round_trip() -> None:
    output = OutputType(Tree)
    tree = output.validate(
        '{"name": "a", "children": [{"name": "b", "children": [], "parent": null}], "parent": null}'
    )
    assert tree == Tree(name="a", children=[Tree(name="b")])
    assert output.schema_for("openai") == to_strict_json_schema(Tree)


@pytest.mark.parametrize(
    ("name", "mode"),
    [
        ("openai/gpt-4.1-mini", "openai"),
        ("azure/my-deployment", "openai"),
        ("anthropic/claude-sonnet-4-5", "anthropic"),
        ("anthropic/claude-sonnet-4-5-20250929", "anthropic"),
        ("anthropic/claude-opus-4-1-20250805", "anthropic"),
        ("anthropic/claude-haiku-4-5", "anthropic"),
        ("anthropic/claude-opus-4-6", "anthropic"),
        ("anthropic/claude-sonnet-4-20250514", "tool"),
        ("anthropic/claude-opus-4-20250514", "tool"),
        ("anthropic/claude-3-7-sonnet-20250219", "tool"),
        ("anthropic/claude-3-5-haiku-latest", "tool"),
        ("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0", "tool"),
        ("gemini/gemini-2.5-flash", "gemini"),
        ("vertex_ai/gemini-2.5-pro", "gemini"),
        ("groq/llama-3.3-70b-versatile", "openai"),
    ],
)
def test_each_provider_gets_its_mode(name: str, mode: str) -> None:
    extra = {"api_base": "https://example.invalid/openai"} if name.startswith("azure/") else {}
    assert mode_for(ModelSpec(name=name, **extra)) == mode


def test_a_types_schema_is_built_once() -> None:
    assert output_type(Tree) is output_type(Tree)
    assert output_type(list[Tree]) is output_type(list[Tree])
    assert output_type(Tree) is not output_type(list[Tree])
