"""docs/parsing-rules.md, sections 4 and 7, asserted on each implementation."""

from __future__ import annotations

import base64
import struct
from types import ModuleType
from typing import Any

import numpy as np
import orjson
import pytest

from modelwire import ImagePayload, ResponseParseError, Usage
from parse_support import implementations

pytestmark = pytest.mark.parametrize("impl", implementations())


def embed(impl: ModuleType, data: list[Any], **top: Any) -> Any:
    return impl.parse_embeddings(orjson.dumps({"object": "list", "data": data, **top}), "p")


def b64(values: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()


def test_rows_are_placed_by_index_in_one_float32_buffer(impl: ModuleType) -> None:
    data = [
        {"index": 2, "embedding": [0.5, -1]},
        {"index": 0, "embedding": [1.25, 2.0]},
        {"index": 1, "embedding": b64([3.0, 4.5])},
    ]
    result = embed(impl, data, model="e", usage={"prompt_tokens": 4, "total_tokens": 4})
    assert result.shape == (3, 2)
    assert result.vectors == [[1.25, 2.0], [3.0, 4.5], [0.5, -1.0]]
    matrix = np.asarray(result.matrix)
    assert matrix.dtype == np.float32
    assert matrix.shape == (3, 2)
    assert matrix[2, 1] == -1.0
    assert (result.model, result.provider) == ("e", "p")
    assert result.usage == Usage(input_tokens=4, total_tokens=4)


def test_missing_index_means_array_position(impl: ModuleType) -> None:
    result = embed(impl, [{"embedding": [1.0]}, {"embedding": [2.0], "index": None}])
    assert result.vectors == [[1.0], [2.0]]


def test_values_round_to_float32_from_their_double(impl: ModuleType) -> None:
    values = [0.1, 1e-46, 3.4028235e38, 16777217, 18446744073709551615, -0.0, 1.0000000596046448]
    result = embed(impl, [{"embedding": values}])
    assert result.buffer == np.asarray(values, dtype=np.float64).astype(np.float32).tobytes()


@pytest.mark.parametrize(
    "text",
    ["-0", "-0.0", "0", "1e-5", "-1.5E+3", "1e22", "1e23", "123456789012345678", "0.000000000000000000000001",
     "9007199254740993", "-2.5e-45", "3.4028235e38", "1.00000000000000000001", "12345678901234.5e-10"],
)  # fmt: skip
def test_number_forms_convert_like_orjson_then_float32(impl: ModuleType, text: str) -> None:
    body = b'{"data": [{"embedding": [' + text.encode() + b"]}]}"
    expected = np.asarray([orjson.loads(text)], dtype=np.float64).astype(np.float32).tobytes()
    assert impl.parse_embeddings(body).buffer == expected


def test_empty_results(impl: ModuleType) -> None:
    assert embed(impl, []).shape == (0, 0)
    assert embed(impl, [{"embedding": []}, {"embedding": ""}]).shape == (2, 0)


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        ([{"index": 1, "embedding": [1.0]}], "data[0].index", "embedding index 1 is out of range for 1 rows"),
        (
            [{"index": -1, "embedding": [1.0]}],
            "data[0].index",
            "embedding index -1 is out of range for 1 rows",
        ),
        (
            [{"embedding": [1.0]}, {"index": 0, "embedding": [2.0]}],
            "data[1].index",
            "embedding index 0 appears twice",
        ),
        (
            [{"embedding": [1.0]}, {"embedding": [1.0, 2.0]}],
            "data[1].embedding",
            "embedding has 2 values, expected 1",
        ),
        ([{"embedding": [1.0, "2"]}], "data[0].embedding[1]", "expected a number, got string"),
        ([{"embedding": [True]}], "data[0].embedding[0]", "expected a number, got boolean"),
        ([{"embedding": [None]}], "data[0].embedding[0]", "expected a number, got null"),
        ([{"embedding": [1.0, 3.5e38]}], "data[0].embedding[1]", "embedding value out of float32 range"),
        ([{"embedding": [-1e300]}], "data[0].embedding[0]", "embedding value out of float32 range"),
        ([{"embedding": {"float": []}}], "data[0].embedding", "expected an array or a string, got object"),
        ([{"embedding": None}], "data[0].embedding", "expected an array or a string, got null"),
        ([{"index": 0}], "data[0].embedding", "missing required field"),
        ([{"embedding": "QQ"}], "data[0].embedding", "embedding is not valid base64"),
        ([{"embedding": "QUJD\n"}], "data[0].embedding", "embedding is not valid base64"),
        ([{"embedding": "QUJD-_=="}], "data[0].embedding", "embedding is not valid base64"),
        ([{"embedding": "QUJDéé=="}], "data[0].embedding", "embedding is not valid base64"),
        (
            [{"embedding": "QUJD"}],
            "data[0].embedding",
            "embedding base64 holds 3 bytes, not whole float32 values",
        ),
        ([[1.0]], "data[0]", "expected an object, got array"),
    ],
)
def test_embedding_faults(impl: ModuleType, data: list[Any], path: str, message: str) -> None:
    with pytest.raises(ResponseParseError) as info:
        embed(impl, data)
    assert (info.value.path, info.value.message) == (path, message)


def test_base64_with_escaped_slashes_and_loose_trailing_bits(impl: ModuleType) -> None:
    text = b64([1.5, -2.0, 7.25]).replace("/", "\\/")
    body = b'{"data": [{"embedding": "' + text.encode() + b'"}]}'
    assert impl.parse_embeddings(body).vectors == [[1.5, -2.0, 7.25]]
    # "AACAPx==" differs from the canonical "AACAPw==" (1.0) only in bits that decoding drops.
    assert impl.parse_embeddings(b'{"data": [{"embedding": "AACAPx=="}]}').vectors == [[1.0]]


def test_non_openai_embedding_shapes_are_rejected(impl: ModuleType) -> None:
    with pytest.raises(ResponseParseError, match="missing required field") as info:
        impl.parse_embeddings(b'{"embeddings": {"float": [[1.0]]}}', "cohere")
    assert (info.value.path, info.value.provider) == ("data", "cohere")


def test_images_endpoint(impl: ModuleType) -> None:
    body = {
        "created": 7,
        "data": [
            {"b64_json": "iVBORw0KGgoAAA", "revised_prompt": "an otter"},
            {"b64_json": "/9j/4AA"},
            {"url": "https://img.test/x.png"},
            {"b64_json": "AAAA"},
        ],
        "usage": {"input_tokens": 10, "output_tokens": 20},
    }
    result = impl.parse_image_generation(orjson.dumps(body), "openai")
    assert result.images == [
        ImagePayload(b64_data="iVBORw0KGgoAAA", mime_type="image/png", revised_prompt="an otter"),
        ImagePayload(b64_data="/9j/4AA", mime_type="image/jpeg"),
        ImagePayload(url="https://img.test/x.png"),
        ImagePayload(b64_data="AAAA"),
    ]
    assert result.usage == Usage(10, 20, 30, generated_images=4)
    assert (result.created, result.model) == (7, None)


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [
        ("png", "image/png"),
        ("jpeg", "image/jpeg"),
        ("jpg", "image/jpeg"),
        ("webp", "image/webp"),
        ("tiff", "image/png"),
        (None, "image/png"),
    ],
)
def test_output_format_sets_the_mime_type(impl: ModuleType, fmt: str | None, mime: str) -> None:
    body = {"data": [{"b64_json": "iVBORw0KGgo"}], "output_format": fmt}
    assert impl.parse_image_generation(orjson.dumps(body)).images[0].mime_type == mime


def test_images_from_a_chat_completion(impl: ModuleType) -> None:
    body = {
        "model": "gemini-image",
        "created": 3,
        "choices": [
            {"message": {"content": "a", "images": [{"image_url": {"url": "data:image/png;base64,iVBOR"}}]}},
            {"message": {"content": [{"type": "image_url", "image_url": {"url": "https://x/y.jpg"}}]}},
        ],
    }
    result = impl.parse_image_generation(orjson.dumps(body))
    assert result.images == [ImagePayload(b64_data="iVBOR", mime_type="image/png"),
                             ImagePayload(url="https://x/y.jpg")]  # fmt: skip
    assert (result.model, result.created, result.usage) == ("gemini-image", 3, Usage(generated_images=2))


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"data": [{"b64_json": 1}]}, "data[0].b64_json"),
        ({"data": [{"url": {}}]}, "data[0].url"),
        ({"data": ["x"]}, "data[0]"),
        ({"data": {}}, "data"),
        ({"created": 1}, "data"),
    ],
)
def test_image_faults(impl: ModuleType, body: dict[str, Any], path: str) -> None:
    with pytest.raises(ResponseParseError) as info:
        impl.parse_image_generation(orjson.dumps(body))
    assert info.value.path == path


@pytest.mark.parametrize(
    ("body", "skipped", "images"),
    [
        ({"data": [{"url": "u", "revised_prompt": []}]}, ["data[0].revised_prompt"], 1),
        (
            {"data": [], "output_format": 1, "created": "x", "model": 2},
            ["created", "model", "output_format"],
            0,
        ),
        ({"data": [], "usage": {"input_tokens": "x"}}, ["usage.input_tokens"], 0),
        ({"choices": [{"message": {"images": [1, {"url": "u"}]}}]}, ["choices[0].message.images[0]"], 1),
    ],
)
def test_optional_image_fields_are_skipped(
    impl: ModuleType, body: dict[str, Any], skipped: list[str], images: int
) -> None:
    result = impl.parse_image_generation(orjson.dumps(body))
    assert (result.skipped, len(result.images)) == (skipped, images)


def test_chat_images_given_as_b64_json_are_read(impl: ModuleType) -> None:
    png = "iVBORw0KGgoAAAANSUhEUg"
    message = {"content": "", "images": [{"b64_json": png}, {"b64_json": "data:image/webp;base64,UklGRx"},
                                         {"b64_json": "AAAA", "image_url": 5}]}  # fmt: skip
    body = {"choices": [{"message": message}]}
    result = impl.parse_image_generation(orjson.dumps(body))
    assert result.images == [
        ImagePayload(b64_data=png, mime_type="image/png"),
        ImagePayload(b64_data="UklGRx", mime_type="image/webp"),
        ImagePayload(b64_data="AAAA"),
    ]
    assert result.skipped == []
    bad = impl.parse_chat_completion(orjson.dumps({"choices": [{"message": {"images": [{"b64_json": 1}]}}]}))
    assert (bad.message.images, bad.skipped) == ([], ["choices[0].message.images[0]"])


def test_embeddings_skip_optional_fields(impl: ModuleType) -> None:
    body = {"data": [{"index": "0", "embedding": [1.0]}], "model": 1, "usage": {"prompt_tokens": "3"}}
    result = impl.parse_embeddings(orjson.dumps(body))
    assert (result.vectors, result.model, result.usage.input_tokens) == ([[1.0]], None, 3)
    assert result.skipped == ["model"]
