"""A parse error's excerpt is masked before it is cut (issue 15.7), on both backends: a key that the
window's edge crosses used to leave a 9-29 character fragment in ``body_excerpt``."""

from __future__ import annotations

from typing import Any

import pytest

from modelwire._redact import MASK, excerpt, register_secret
from modelwire.exceptions import ResponseParseError
from modelwire.parsing.pure import chat as pure_chat
from modelwire.parsing.pure.stream_openai import OpenAIStreamFolder as PureFolder
from test_sse_rules import LOADED

KEY = "sk-proj-Q7x9Lm2Vb8Nc4Zt6Rw1Ky3Pd5Hs0Jf"  # key-shaped: masked by pattern, not registration
ODD = "zz9-unusual-Secret-Value-4411-XYZW-qq"  # any shape, masked because it is registered
register_secret(ODD)


def fragments(secret: str, text: str, shortest: int = 6) -> list[str]:
    return [
        secret[i : i + shortest]
        for i in range(len(secret) - shortest + 1)
        if secret[i : i + shortest] in text
    ]


def body_with(secret: str, gap: int) -> bytes:
    """A body whose syntax error sits ``gap`` bytes after the secret's end."""
    return b'{"note": "' + secret.encode() + b'"' + b" " * gap + b"tru}"


def fold(folder: Any, body: bytes) -> None:
    folder.feed(body)
    folder.finish()


def parsers() -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = [("python", pure_chat.parse_chat_completion)]
    if len(LOADED) == 2:
        out.append(("rust", LOADED[1].parse_chat_completion))
    return out


@pytest.mark.parametrize("secret", [KEY, ODD])
@pytest.mark.parametrize("gap", range(0, 80, 3))
def test_no_fragment_of_a_secret_survives_the_window_edge(secret: str, gap: int) -> None:
    excerpts = []
    for _, parse in parsers():
        with pytest.raises(ResponseParseError) as caught:
            parse(body_with(secret, gap), "openai")  # type: ignore[operator]
        text = caught.value.body_excerpt or ""
        assert fragments(secret, text) == [], text
        excerpts.append(text)
    assert len(set(excerpts)) == 1  # both backends give the same excerpt


@pytest.mark.parametrize("gap", [0, 20, 35, 50])
def test_stream_event_excerpts_are_masked_before_the_cut(gap: int) -> None:
    event = b'data: {"choices": [], "k": "' + KEY.encode() + b'"' + b" " * gap + b"nul}\n\n"
    folders: list[object] = [PureFolder(provider="openai")]
    if len(LOADED) == 2:
        folders.append(LOADED[1].OpenAIStreamFolder(provider="openai"))
    excerpts = []
    for folder in folders:
        with pytest.raises(ResponseParseError) as caught:
            fold(folder, event)
        excerpts.append(caught.value.body_excerpt or "")
        assert fragments(KEY, excerpts[-1]) == []
    assert len(set(excerpts)) == 1


def test_excerpt_takes_a_crossing_secret_whole_then_masks_it() -> None:
    before, after = "x" * 50 + '"' + KEY[:10], KEY[10:] + '" ' + "y" * 50
    assert excerpt(before, after, radius=5) == MASK  # the window lies inside the key
    assert excerpt(before, after, radius=45) == "x" * 34 + f'"{MASK}" ' + "y" * 15
    assert excerpt("a" * 100, "b" * 100, radius=3) == "aaabbb"
