"""What the structured-output tests share: the models asked for, and one client per adapter pointed at
the local server, with the route its requests take, the dialect of its bodies and how to find the schema
in a request it sent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from modelwire.testing import LocalProviderServer, Route

KEY = "sk-structured-0123456789abcdef"
AWS = {
    "AWS_ACCESS_KEY_ID": "AKIDSTRUCTURED0001",
    "AWS_SECRET_ACCESS_KEY": "structured-secret-0123456789abcdefgh",
}


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


class Address(BaseModel):
    city: str
    zip: str | None = None


class Person(BaseModel):
    name: str
    age: int
    colour: Colour
    address: Address
    nickname: str | None = None
    tags: list[str] = []


# What the echo model answers for Person's schema (modelwire.testing.echo's sample values).
ECHO_PERSON = Person(
    name="echo-name", age=1, colour=Colour.RED, address=Address(city="echo-city", zip="echo-zip"),
    nickname="echo-nickname", tags=["echo-tags"],
)  # fmt: skip


@dataclass(frozen=True)
class Adapter:
    """One adapter under test: ``options(server)`` builds the client, ``schema(body)`` finds the schema
    the request carried (the tool's input schema in tool mode)."""

    name: str
    route: Route
    dialect: Literal["openai", "responses", "anthropic", "bedrock", "gemini"]
    options: Callable[[LocalProviderServer], dict[str, Any]]
    schema: Callable[[dict[str, Any]], Any]
    tool_mode: bool = False


def _tool_schema(body: dict[str, Any]) -> Any:
    if "toolConfig" in body:
        assert body["toolConfig"]["toolChoice"] == {"tool": {"name": "final_result"}}
        (tool,) = [
            t["toolSpec"] for t in body["toolConfig"]["tools"] if t["toolSpec"]["name"] == "final_result"
        ]
        return tool["inputSchema"]["json"]
    assert body["tool_choice"] == {"type": "tool", "name": "final_result"}
    (tool,) = [t for t in body["tools"] if t["name"] == "final_result"]
    return tool["input_schema"]


ADAPTERS = [
    Adapter(
        "openai",
        Route.CHAT,
        "openai",
        lambda s: {"model": "openai/gpt-4.1-mini", "api_base": s.openai_base_url, "api_key": KEY},
        lambda b: b["response_format"]["json_schema"]["schema"],
    ),
    Adapter(
        "openai_compatible",
        Route.CHAT,
        "openai",
        lambda s: {"model": s.openai_base_url, "name": "meta-llama/Llama-3.1-8B-Instruct", "api_key": KEY},
        lambda b: b["response_format"]["json_schema"]["schema"],
    ),
    Adapter(
        "responses",
        Route.RESPONSES,
        "responses",
        lambda s: {
            "model": "openai/gpt-5",
            "api_base": s.openai_base_url,
            "api_key": KEY,
            "responses_api": True,
        },
        lambda b: b["text"]["format"]["schema"],
    ),
    Adapter(
        "anthropic",
        Route.MESSAGES,
        "anthropic",
        lambda s: {"model": "anthropic/claude-sonnet-4-5", "api_base": s.anthropic_base_url, "api_key": KEY},
        lambda b: b["output_config"]["format"]["schema"],
    ),
    Adapter(
        "anthropic_tool",
        Route.MESSAGES,
        "anthropic",
        lambda s: {
            "model": "anthropic/claude-3-5-haiku-20241022",
            "api_base": s.anthropic_base_url,
            "api_key": KEY,
        },
        _tool_schema,
        tool_mode=True,
    ),
    Adapter(
        "bedrock",
        Route.CONVERSE,
        "bedrock",
        lambda s: {
            "model": "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0",
            "api_base": s.url,
            "extra_params": {"aws_region_name": "us-east-1"},
        },
        _tool_schema,
        tool_mode=True,
    ),
    Adapter(
        "gemini",
        Route.GENERATE_CONTENT,
        "gemini",
        lambda s: {"model": "gemini/gemini-2.5-flash", "api_base": s.gemini_base_url, "api_key": KEY},
        lambda b: b["generationConfig"]["responseJsonSchema"],
    ),
]

EACH_ADAPTER = pytest.mark.parametrize("adapter", ADAPTERS, ids=[a.name for a in ADAPTERS])


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in AWS.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
