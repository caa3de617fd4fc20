"""The fuzz targets (``fuzz_targets.py``) for a short run in the suite, and every input that ever broke
one (``fuzz_corpus/<target>-<sha>.bin``, saved by ``make fuzz``) replayed as a regression test."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from fuzz_targets import TARGETS
from test_sse_rules import LOADED

CORPUS = Path(__file__).with_name("fuzz_corpus")
SAVED = sorted(CORPUS.glob("*.bin"))

pytestmark = pytest.mark.skipif(len(LOADED) < 2, reason="the targets compare both backends")


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_target_holds_on_a_short_run(name: str) -> None:
    target = TARGETS[name]
    run = settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))(
        given(target.inputs)(target.check)
    )
    run()


@pytest.mark.parametrize("path", SAVED, ids=[path.name for path in SAVED])
def test_saved_input_holds(path: Path) -> None:
    TARGETS[path.name.partition("-")[0]].check(path.read_bytes())


def test_the_corpus_is_not_empty_and_names_known_targets() -> None:
    assert SAVED
    assert {path.name.partition("-")[0] for path in SAVED} <= set(TARGETS)
