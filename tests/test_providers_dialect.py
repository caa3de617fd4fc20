"""A provider is a ``Dialect`` over the one ``HttpAdapter``: paths with ``{model}``, capabilities it declares,
the error reader it names, and the signing step, which signs the exact bytes and URL the server receives,
once per attempt, sync and async, streamed or not."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import Mapping

import pytest

from modelwire import APIError, UnsupportedCapabilityError
from modelwire.parsing.stream import stream_folder
from modelwire.providers import OPENAI, Dialect, HttpAdapter, Operation, OutgoingRequest
from modelwire.testing import LocalProviderServer, Route, faults
from modelwire.types import ChatCompletionRequest, EmbeddingRequest

REQUEST = ChatCompletionRequest(model="m", messages=[{"role": "user", "content": "sign this"}])


class Signer:
    """Signs method, URL and body with a digest and a fresh token each time it is called."""

    def __init__(self) -> None:
        self.seen: list[OutgoingRequest] = []

    def __call__(self, request: OutgoingRequest) -> Mapping[str, str]:
        self.seen.append(request)
        digest = hashlib.sha256(f"{request.method} {request.url}\n".encode() + request.body).hexdigest()
        return {**request.headers, "authorization": f"Bearer token-{len(self.seen)}", "x-signature": digest}


def _adapter(server: LocalProviderServer, dialect: Dialect) -> HttpAdapter:
    auth = {} if dialect.sign else {"authorization": "Bearer sk-dialect-test-0123456789"}
    return HttpAdapter(dialect=dialect, provider_name="signed", base_url=server.openai_base_url, headers=auth)


def _check_signed(server: LocalProviderServer, signer: Signer) -> None:
    received = server.requests
    assert len(received) == len(signer.seen) > 0
    for number, (request, signed) in enumerate(zip(received, signer.seen, strict=True), start=1):
        url = f"{server.url}{request.path}" + (f"?{request.query_string}" if request.query_string else "")
        assert signed.url == url
        assert signed.body == request.body  # the exact bytes sent
        expected = hashlib.sha256(f"POST {url}\n".encode() + request.body).hexdigest()
        assert request.header("x-signature") == expected
        assert request.header("authorization") == f"Bearer token-{number}"
        assert signed.headers["content-type"] == "application/json"  # it saw the adapter's headers


def test_the_signer_signs_what_is_sent_once_per_call(local_server: LocalProviderServer) -> None:
    signer = Signer()
    with _adapter(local_server, dataclasses.replace(OPENAI, sign=signer)) as client:
        client.completion(REQUEST)
        with client.stream(REQUEST) as stream:
            assert stream.final_response().message.content == "echo: sign this"
        client.embeddings(EmbeddingRequest(model="e", inputs=["a"]))
    _check_signed(local_server, signer)
    assert local_server.requests[1].json["stream"] is True


def test_async_calls_use_the_async_signer_and_else_the_sync_one(local_server: LocalProviderServer) -> None:
    sync_signer, async_signer = Signer(), Signer()

    async def asign(request: OutgoingRequest) -> Mapping[str, str]:
        await asyncio.sleep(0)
        return async_signer(request)

    async def run(dialect: Dialect) -> None:
        async with _adapter(local_server, dialect) as client:
            await client.acompletion(REQUEST)
            async with client.astream(REQUEST) as stream:
                await stream.final_response()

    asyncio.run(run(dataclasses.replace(OPENAI, sign=sync_signer, asign=asign)))
    assert sync_signer.seen == []
    _check_signed(local_server, async_signer)
    local_server.clear()
    asyncio.run(run(dataclasses.replace(OPENAI, sign=sync_signer)))
    _check_signed(local_server, sync_signer)


def test_model_in_a_path_is_quoted(local_server: LocalProviderServer) -> None:
    dialect = OPENAI.rerouted(lambda path: f"{path}?deployment={{model}}")
    with _adapter(local_server, dialect) as client:
        client.completion(dataclasses.replace(REQUEST, model="org/model:v1"))
    assert local_server.last_request.path == "/v1/chat/completions"
    assert local_server.last_request.query_string == "deployment=org%2Fmodel%3Av1"
    assert local_server.last_request.json["model"] == "org/model:v1"


def test_capabilities_follow_the_operations_a_dialect_declares(local_server: LocalProviderServer) -> None:
    dialect = dataclasses.replace(OPENAI, api="the Chat-only API", stream=None, embeddings=None, images=None)
    with _adapter(local_server, dialect) as client:
        assert (client.supports_embeddings(), client.supports_image_generation()) == (False, False)
        with pytest.raises(UnsupportedCapabilityError, match="the Chat-only API has no embeddings endpoint"):
            client.embeddings(EmbeddingRequest(model="e", inputs=["a"]))
        with pytest.raises(UnsupportedCapabilityError, match="has no streaming"):
            client.stream(REQUEST)
        assert client.completion(REQUEST).message.content == "echo: sign this"
    assert len(local_server.requests) == 1


def test_the_dialects_error_reader_reads_error_statuses(local_server: LocalProviderServer) -> None:
    seen: list[int] = []

    def read_error(status: int, headers: object, body: bytes, *, provider: str, model: str) -> APIError:
        seen.append(status)
        return APIError(f"read by the dialect: {len(body)} bytes", provider=provider, model=model)

    local_server.enqueue(Route.CHAT, faults.error(418))
    client = _adapter(local_server, dataclasses.replace(OPENAI, read_error=read_error))
    with client, pytest.raises(APIError, match="read by the dialect") as caught:
        client.completion(REQUEST)
    assert seen == [418]
    assert (caught.value.provider, caught.value.model) == ("signed", "m")


def test_an_operation_path_and_parser_are_the_dialects(local_server: LocalProviderServer) -> None:
    parsed: list[str] = []

    def parse(body: bytes, provider: str) -> object:
        parsed.append(provider)
        return OPENAI.chat.parse(body, provider)

    chat = Operation("/embeddings", OPENAI.chat.translate, parse)  # any path: the dialect decides
    local_server.enqueue(Route.EMBEDDINGS, faults.respond(200, local_server_chat_body()))
    with _adapter(local_server, dataclasses.replace(OPENAI, chat=chat)) as client:
        assert client.completion(REQUEST).message.content == "hi"
    assert local_server.last_request.path == "/v1/embeddings"
    assert parsed == ["signed"]


def local_server_chat_body() -> dict[str, object]:
    message = {"role": "assistant", "content": "hi"}
    return {"id": "c", "model": "m", "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}


def test_an_unknown_stream_format_is_named() -> None:
    with pytest.raises(ValueError, match="unknown stream format 'nope'"):
        stream_folder("nope", "p")  # type: ignore[arg-type]
