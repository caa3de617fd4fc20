"""LMI's retry/fallback scenarios, run through LMI (LiteLLM underneath) and through modelwire against the
same local provider server: the same outcome, and each library's exact request count per model."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytest.importorskip("lmi", reason="the LMI interop group runs under make interop-lmi")

from scenarios import KEY, MAX_RETRIES, SCENARIOS, Scenario, counts, enqueue

from modelwire import Client, ProviderError
from modelwire.config import LLMConfig


def run_lmi(server: Any, scenario: Scenario) -> str:
    from aviary.core import Message
    from lmi import LiteLLMModel
    from lmi.config import LLMConfig as LmiConfig
    from lmi.config import ModelSpec as LmiSpec

    validator = None
    if scenario.validator is not None:

        def validator(result: Any, check: Any = scenario.validator) -> None:
            if not check(result.model):
                raise ValueError("rejected")

    specs = [
        LmiSpec(name=f"openai/{m}", api_base=server.openai_base_url, api_key=KEY, max_retries=MAX_RETRIES)
        for m in ("model-a", "model-b")
    ]
    llm = LiteLLMModel(
        name="openai/model-a", llm_config=LmiConfig(models=specs, response_validator=validator)
    )
    try:
        return str(asyncio.run(llm.call_single([Message(content="hi")])).model)
    except Exception as exc:
        return f"error {type(exc).__name__}"


def run_modelwire(server: Any, scenario: Scenario) -> str:
    validator = None
    if scenario.validator is not None:

        def validator(response: Any, check: Any = scenario.validator) -> None:
            if not check(response.model):
                raise ValueError("rejected")

    models = [
        {
            "name": f"openai/{m}",
            "api_base": server.openai_base_url,
            "api_key": KEY,
            "max_retries": MAX_RETRIES,
        }
        for m in ("model-a", "model-b")
    ]
    config = LLMConfig(
        models=models, response_validator=validator, initial_retry_delay=0.01, max_retry_delay=0.02
    )
    with Client(config, limiters=False) as client:
        try:
            return str(client.complete("hi").model)
        except ProviderError as exc:
            return f"error {exc.kind.value}"


LMI_ERRORS = {"plain bad request": "error BadRequestError"}
MODELWIRE_ERRORS = {"plain bad request": "error bad_request"}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_lmi_and_modelwire_agree_on_each_scenario(server: Any, scenario: Scenario) -> None:
    enqueue(server, scenario)
    lmi_outcome = run_lmi(server, scenario)
    lmi_counts = counts(server)
    server.reset()
    enqueue(server, scenario)
    ours = run_modelwire(server, scenario)
    our_counts = counts(server)
    expected = scenario.answered_by
    assert lmi_outcome == (expected if expected else LMI_ERRORS[scenario.name])
    assert ours == (expected if expected else MODELWIRE_ERRORS[scenario.name])
    assert our_counts == scenario.requests
    assert lmi_counts == (scenario.lmi_requests or scenario.requests)
