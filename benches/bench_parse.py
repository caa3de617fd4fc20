"""pytest-benchmark suite for the parsers (the side-by-side table is ``report.py``).

python -m pytest benches/bench_parse.py --benchmark-enable -p no:cacheprovider
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from bench_parse_cases import Case, cases
from modelwire.parsing import pure

try:
    from modelwire import _core as rust
except ImportError:
    rust = None

CASES = cases()


def _with_arguments(parse: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    def run(body: bytes) -> Any:
        result = parse(body)
        for choice in result.choices:
            for call in choice.message.tool_calls:
                call.arguments  # noqa: B018 - reading it is the work being measured
        return result

    return run


def _implementation(name: str, case: Case) -> Callable[[bytes], Any]:
    if name == "orjson":
        return orjson.loads
    if name == "json":
        return json.loads
    module = pure if name == "twin" else rust
    if module is None:
        pytest.skip("the Rust extension is not built")
    if case.kind == "chat":
        return _with_arguments(module.parse_chat_completion)
    if case.kind == "anthropic":
        return _with_arguments(module.parse_anthropic_message)
    return module.parse_embeddings  # type: ignore[no-any-return]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("name", ["rust", "twin", "orjson", "json"])
def test_parse(benchmark: Any, case: Case, name: str) -> None:
    parse = _implementation(name, case)
    benchmark.group = case.name
    result = benchmark(parse, case.body)
    assert result is not None
