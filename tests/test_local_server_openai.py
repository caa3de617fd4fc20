"""The OpenAI-compatible and Azure routes of the local provider server: echo answers, streams, tools,
embeddings, images, auth. The official openai SDK (test-only) is the oracle for wire compatibility."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import httpx
import openai
import pytest

from modelwire.testing import LocalProviderServer, ServerConfig

AUTH = {"authorization": "Bearer sk-local"}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer"},
                "detail": {
                    "type": "object",
                    "properties": {"hourly": {"type": "boolean"}},
                    "required": ["hourly"],
                },
                "optional": {"type": "string"},
            },
            "required": ["city", "unit", "days", "detail"],
        },
    },
}


def _post(server: LocalProviderServer, path: str, body: dict[str, Any], **kw: Any) -> httpx.Response:
    headers = kw.pop("headers", AUTH)
    return httpx.post(server.openai_base_url + path, json=body, headers=headers, **kw)


def _sse_data(text: str) -> list[str]:
    return [block[len("data: ") :] for block in text.split("\n\n") if block]


def _chat(content: str = "tell me a joke", **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": content}], **extra}


def test_chat_echoes_the_last_user_message_with_word_count_usage(local_server: LocalProviderServer) -> None:
    body = {
        "model": "gpt-4.1-mini",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "first question"},
            {"role": "assistant", "content": "first answer"},
            {
                "role": "user",
                "content": [{"type": "text", "text": "second"}, {"type": "text", "text": "question"}],
            },
        ],
    }
    payload = _post(local_server, "/chat/completions", body).json()
    assert payload["object"] == "chat.completion"
    assert payload["model"] == "gpt-4.1-mini"
    assert payload["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "echo: second question", "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ]
    usage = payload["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]) == (8, 3, 11)


def test_chat_answers_are_deterministic(local_server: LocalProviderServer) -> None:
    first = _post(local_server, "/chat/completions", _chat()).json()
    second = _post(local_server, "/chat/completions", _chat()).json()
    other = _post(local_server, "/chat/completions", _chat("something else")).json()
    assert first == second
    assert first["id"] != other["id"]


def test_offered_tool_is_called_with_arguments_from_its_required_properties(
    local_server: LocalProviderServer,
) -> None:
    payload = _post(local_server, "/chat/completions", _chat("weather?", tools=[WEATHER_TOOL])).json()
    choice = payload["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    (call,) = choice["message"]["tool_calls"]
    assert call["type"] == "function"
    assert call["id"].startswith("call_")
    assert call["function"]["name"] == "get_weather"
    arguments = json.loads(call["function"]["arguments"])
    assert arguments == {"city": "echo-city", "unit": "celsius", "days": 1, "detail": {"hourly": True}}


def test_tool_choice_none_and_named_tool_are_honoured(local_server: LocalProviderServer) -> None:
    other = {"type": "function", "function": {"name": "other", "parameters": {"type": "object"}}}
    none = _post(
        local_server, "/chat/completions", _chat("hi", tools=[WEATHER_TOOL], tool_choice="none")
    ).json()
    assert none["choices"][0]["message"]["content"] == "echo: hi"
    named = _chat(
        "hi", tools=[WEATHER_TOOL, other], tool_choice={"type": "function", "function": {"name": "other"}}
    )
    call = _post(local_server, "/chat/completions", named).json()["choices"][0]["message"]["tool_calls"][0]
    assert call["function"] == {"name": "other", "arguments": "{}"}


def test_tool_results_are_quoted_in_the_answer(local_server: LocalProviderServer) -> None:
    first = _post(local_server, "/chat/completions", _chat("weather?", tools=[WEATHER_TOOL])).json()
    assistant = first["choices"][0]["message"]
    call_id = assistant["tool_calls"][0]["id"]
    body = _chat("weather?", tools=[WEATHER_TOOL])
    body["messages"] += [assistant, {"role": "tool", "tool_call_id": call_id, "content": "sunny, 21 C"}]
    answer = _post(local_server, "/chat/completions", body).json()["choices"][0]
    assert answer["message"]["content"] == "tool result: sunny, 21 C"
    assert answer["finish_reason"] == "stop"


def test_max_tokens_stop_and_n(local_server: LocalProviderServer) -> None:
    long = _post(local_server, "/chat/completions", _chat("a b c d e f", max_completion_tokens=3)).json()
    assert long["choices"][0]["message"]["content"] == "echo: a b"
    assert long["choices"][0]["finish_reason"] == "length"
    assert long["usage"]["completion_tokens"] == 3
    stopped = _post(local_server, "/chat/completions", _chat("a b STOP c", stop=["STOP"])).json()
    assert stopped["choices"][0]["message"]["content"] == "echo: a b "
    assert stopped["choices"][0]["finish_reason"] == "stop"
    several = _post(local_server, "/chat/completions", _chat("x y", n=3)).json()
    assert [c["index"] for c in several["choices"]] == [0, 1, 2]
    assert several["usage"]["completion_tokens"] == 3 * 3


def test_structured_output_follows_the_schema(local_server: LocalProviderServer) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "person", "schema": schema, "strict": True}}
    content = _post(local_server, "/chat/completions", _chat("who?", response_format=fmt)).json()
    assert json.loads(content["choices"][0]["message"]["content"]) == {"name": "echo-name", "age": 1}
    obj = _post(
        local_server, "/chat/completions", _chat("who?", response_format={"type": "json_object"})
    ).json()
    assert json.loads(obj["choices"][0]["message"]["content"]) == {"echo": "echo: who?"}


def test_stream_sends_role_pieces_finish_usage_and_done(local_server: LocalProviderServer) -> None:
    body = _chat("one two three", stream=True, stream_options={"include_usage": True})
    response = _post(local_server, "/chat/completions", body)
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["transfer-encoding"] == "chunked"
    data = _sse_data(response.text)
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "echo: one two three"
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["total_tokens"] == 3 + 4
    assert all(c["usage"] is None for c in chunks[:-1])


def test_stream_without_include_usage_has_no_usage(local_server: LocalProviderServer) -> None:
    data = _sse_data(_post(local_server, "/chat/completions", _chat("x", stream=True)).text)
    assert data[-1] == "[DONE]"
    assert all("usage" not in json.loads(d) for d in data[:-1])


def test_streamed_and_plain_answers_agree_through_the_openai_sdk(local_server: LocalProviderServer) -> None:
    client = openai.OpenAI(base_url=local_server.openai_base_url, api_key="sk-local", max_retries=0)
    kwargs: Any = {
        "model": "gpt-4.1-mini",
        "messages": [{"role": "user", "content": "weather?"}],
        "tools": [WEATHER_TOOL],
    }
    plain = client.chat.completions.create(**kwargs)
    stream = client.chat.completions.create(**kwargs, stream=True, stream_options={"include_usage": True})
    ids, names, arguments, usage = set(), set(), "", None
    for chunk in stream:
        usage = chunk.usage or usage
        for choice in chunk.choices:
            for call in choice.delta.tool_calls or ():
                ids.add(call.id)
                names.add(call.function.name if call.function else None)
                arguments += call.function.arguments or "" if call.function else ""
    (expected,) = plain.choices[0].message.tool_calls or []
    assert ids - {None} == {expected.id}
    assert names - {None} == {"get_weather"}
    assert arguments == expected.function.arguments
    assert usage == plain.usage
    client.close()


def _float32(vector: list[float]) -> list[float]:
    return list(struct.unpack(f"<{len(vector)}f", struct.pack(f"<{len(vector)}f", *vector)))


def test_embeddings_float_base64_dimensions_and_token_ids(local_server: LocalProviderServer) -> None:
    floats = _post(
        local_server, "/embeddings", {"model": "e", "input": ["a b c", "d"], "dimensions": 5}
    ).json()
    assert floats["object"] == "list"
    assert floats["usage"] == {"prompt_tokens": 4, "total_tokens": 4}
    vectors = [d["embedding"] for d in floats["data"]]
    assert [len(v) for v in vectors] == [5, 5]
    assert vectors[0] != vectors[1]
    assert abs(sum(x * x for x in vectors[0]) - 1.0) < 1e-5
    b64 = _post(
        local_server,
        "/embeddings",
        {"model": "e", "input": ["a b c", "d"], "dimensions": 5, "encoding_format": "base64"},
    ).json()
    decoded = [list(struct.unpack("<5f", base64.b64decode(d["embedding"]))) for d in b64["data"]]
    assert decoded == [_float32(v) for v in vectors]
    single = _post(local_server, "/embeddings", {"model": "e", "input": "a b c", "dimensions": 5}).json()
    assert single["data"][0]["embedding"] == vectors[0]
    tokens = _post(local_server, "/embeddings", {"model": "e", "input": [[1, 2, 3], [4]]}).json()
    assert tokens["usage"]["prompt_tokens"] == 4
    assert [len(d["embedding"]) for d in tokens["data"]] == [ServerConfig().embedding_dimensions] * 2


def test_embeddings_through_the_openai_sdk_default_base64(local_server: LocalProviderServer) -> None:
    client = openai.OpenAI(base_url=local_server.openai_base_url, api_key="sk-local", max_retries=0)
    result = client.embeddings.create(model="text-embedding-3-small", input=["a b c"], dimensions=5)
    assert local_server.last_request.json["encoding_format"] == "base64"
    plain = _post(local_server, "/embeddings", {"model": "e", "input": "a b c", "dimensions": 5}).json()
    assert result.data[0].embedding == _float32(plain["data"][0]["embedding"])
    client.close()


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "e"}, "input"),
        ({"model": "e", "input": ""}, "input"),
        ({"model": "e", "input": {"x": 1}}, "input"),
        ({"model": "e", "input": "x", "dimensions": 0}, "dimensions"),
        ({"model": "e", "input": "x", "encoding_format": "int8"}, "encoding_format"),
    ],
)
def test_embeddings_reject_bad_requests(
    local_server: LocalProviderServer, body: dict[str, Any], param: str
) -> None:
    response = _post(local_server, "/embeddings", body)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_images_b64_json_is_a_real_png_and_url_serves_the_same_png(local_server: LocalProviderServer) -> None:
    b64 = _post(
        local_server, "/images/generations", {"model": "gpt-image-1", "prompt": "a red fox", "n": 2}
    ).json()
    images = [base64.b64decode(d["b64_json"]) for d in b64["data"]]
    assert all(i.startswith(b"\x89PNG\r\n\x1a\n") and i[12:16] == b"IHDR" for i in images)
    assert images[0] != images[1]
    assert b64["usage"]["input_tokens"] == 3
    url = _post(
        local_server,
        "/images/generations",
        {"model": "gpt-image-1", "prompt": "a red fox", "n": 2, "response_format": "url"},
    ).json()
    fetched = [httpx.get(d["url"]).content for d in url["data"]]
    assert fetched == images


def test_dall_e_defaults_to_urls_with_revised_prompts(local_server: LocalProviderServer) -> None:
    payload = _post(local_server, "/images/generations", {"model": "dall-e-3", "prompt": "a fox"}).json()
    (item,) = payload["data"]
    assert item["url"].startswith(local_server.url + "/_mw/images/")
    assert item["revised_prompt"] == "a fox"
    assert "usage" not in payload


def test_chat_with_image_modality_returns_a_png_data_uri(local_server: LocalProviderServer) -> None:
    body = _chat("draw a fox", modalities=["image", "text"])
    message = _post(local_server, "/chat/completions", body).json()["choices"][0]["message"]
    (image,) = message["images"]
    prefix = "data:image/png;base64,"
    assert image["type"] == "image_url"
    assert image["image_url"]["url"].startswith(prefix)
    assert base64.b64decode(image["image_url"]["url"][len(prefix) :]).startswith(b"\x89PNG")
    assert message["content"] == "echo: draw a fox"


def test_images_through_the_openai_sdk(local_server: LocalProviderServer) -> None:
    client = openai.OpenAI(base_url=local_server.openai_base_url, api_key="sk-local", max_retries=0)
    result = client.images.generate(model="gpt-image-1", prompt="a fox")
    assert base64.b64decode(result.data[0].b64_json or "").startswith(b"\x89PNG")
    client.close()


def test_missing_bearer_key_is_openais_401(local_server: LocalProviderServer) -> None:
    response = _post(local_server, "/chat/completions", _chat(), headers={})
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["message"].startswith("You didn't provide an API key.")
    assert (error["type"], error["code"]) == ("invalid_request_error", None)
    assert response.headers["x-request-id"].startswith("req_")


def test_wrong_key_is_rejected_when_keys_are_configured(local_server: LocalProviderServer) -> None:
    local_server.configure(api_keys=["sk-good"])
    bad = _post(local_server, "/chat/completions", _chat(), headers={"authorization": "Bearer abc123"})
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "invalid_api_key"
    assert "abc123" in bad.json()["error"]["message"]
    good = _post(local_server, "/chat/completions", _chat(), headers={"authorization": "Bearer sk-good"})
    assert good.status_code == 200


def test_auth_can_be_turned_off(local_server: LocalProviderServer) -> None:
    local_server.configure(require_auth=False)
    assert _post(local_server, "/chat/completions", _chat(), headers={}).status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "could not parse the JSON body"),
        (b"[1, 2]", "could not parse the JSON body"),
        (json.dumps({"model": "m"}).encode(), "Missing required parameter: 'messages'."),
        (json.dumps({"model": "m", "messages": []}).encode(), "Invalid 'messages': empty array."),
        (json.dumps({"messages": [{"role": "user", "content": "x"}]}).encode(), "you must provide a model"),
    ],
)
def test_chat_rejects_bad_bodies(local_server: LocalProviderServer, body: bytes, message: str) -> None:
    response = httpx.post(local_server.openai_base_url + "/chat/completions", content=body, headers=AUTH)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


def test_azure_deployment_routes(local_server: LocalProviderServer) -> None:
    base = local_server.azure_endpoint + "/openai/deployments/my-gpt"
    headers = {"api-key": "azure-key"}
    query = "?api-version=2024-10-21"
    chat = httpx.post(
        base + "/chat/completions" + query,
        json={"messages": [{"role": "user", "content": "hi"}]},
        headers=headers,
    ).json()
    assert chat["model"] == "my-gpt"
    assert chat["choices"][0]["message"]["content"] == "echo: hi"
    assert chat["choices"][0]["content_filter_results"]["hate"] == {"filtered": False, "severity": "safe"}
    assert chat["prompt_filter_results"][0]["prompt_index"] == 0
    embedding = httpx.post(base + "/embeddings" + query, json={"input": "x"}, headers=headers)
    image = httpx.post(base + "/images/generations" + query, json={"prompt": "x"}, headers=headers)
    assert (embedding.status_code, image.status_code) == (200, 200)
    assert [(r.route, r.provider, r.model, r.query) for r in local_server.requests] == [
        ("chat_completions", "azure", "my-gpt", {"api-version": "2024-10-21"}),
        ("embeddings", "azure", "my-gpt", {"api-version": "2024-10-21"}),
        ("images_generations", "azure", "my-gpt", {"api-version": "2024-10-21"}),
    ]


def test_azure_stream_opens_with_the_prompt_filter_event(local_server: LocalProviderServer) -> None:
    url = local_server.azure_endpoint + "/openai/deployments/d/chat/completions?api-version=2024-10-21"
    body = {"messages": [{"role": "user", "content": "hi"}], "stream": True}
    data = _sse_data(httpx.post(url, json=body, headers={"api-key": "k"}).text)
    first = json.loads(data[0])
    assert first["choices"] == []
    assert first["prompt_filter_results"][0]["prompt_index"] == 0
    assert data[-1] == "[DONE]"


def test_azure_requires_api_version_and_a_key(local_server: LocalProviderServer) -> None:
    base = local_server.azure_endpoint + "/openai/deployments/d/chat/completions"
    body = _chat()
    no_version = httpx.post(base, json=body, headers={"api-key": "k"})
    assert no_version.status_code == 404
    assert no_version.json() == {"error": {"code": "404", "message": "Resource not found"}}
    no_key = httpx.post(base + "?api-version=2024-10-21", json=body)
    assert no_key.status_code == 401
    assert no_key.json()["error"]["code"] == "401"
    assert no_key.json()["error"]["message"].startswith("Access denied due to invalid subscription key")


def test_azure_through_the_openai_sdk(local_server: LocalProviderServer) -> None:
    client = openai.AzureOpenAI(
        azure_endpoint=local_server.azure_endpoint,
        api_key="azure-key",
        api_version="2024-10-21",
        max_retries=0,
    )
    result = client.chat.completions.create(model="my-gpt", messages=[{"role": "user", "content": "hi"}])
    assert result.choices[0].message.content == "echo: hi"
    assert local_server.last_request.headers["api-key"] == "azure-key"
    client.close()


def test_azure_v1_route_needs_no_api_version(local_server: LocalProviderServer) -> None:
    response = httpx.post(
        local_server.azure_endpoint + "/openai/v1/chat/completions", json=_chat(), headers={"api-key": "k"}
    )
    assert response.status_code == 200
    assert local_server.last_request.provider == "azure"
