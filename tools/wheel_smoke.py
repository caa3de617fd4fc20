"""Smoke-test an installed modelwire (run it with the Python of the venv the wheel went into).

    .venv-check-3.12/bin/python tools/wheel_smoke.py --backend rust

Checks, failing with a message on the first miss: ``import modelwire`` raises no warning and loads from
the installed site-packages (not a source tree); ``BACKEND`` is the expected one and the parsers are that
backend's; one parse per response format and one fold per stream format give the expected result; the
``modelwire`` console script answers ``--version`` and runs ``demo`` to the end.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import sysconfig
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

CHAT = (
    b'{"id":"c1","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},'
    b'"finish_reason":"stop"}]}'
)
EMBEDDINGS = b'{"object":"list","model":"e","data":[{"object":"embedding","index":0,"embedding":[0.5,-1.0]}]}'
IMAGES = b'{"created":1,"data":[{"url":"https://example.com/a.png"}]}'
ANTHROPIC = (
    b'{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[{"type":"text","text":"hi"}],'
    b'"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":1}}'
)
OPENAI_SSE = (
    b'data: {"id":"c1","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"h"}}]}\n\n'
    b'data: {"id":"c1","model":"m","choices":[{"index":0,"delta":{"content":"i"},'
    b'"finish_reason":"stop"}]}\n\n'
    b"data: [DONE]\n\n"
)
ANTHROPIC_SSE = (
    b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message",'
    b'"role":"assistant","model":"claude","content":[],"usage":{"input_tokens":3,"output_tokens":0}}}\n\n'
    b'event: content_block_start\ndata: {"type":"content_block_start","index":0,'
    b'"content_block":{"type":"text","text":""}}\n\n'
    b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
    b'"delta":{"type":"text_delta","text":"hi"}}\n\n'
    b'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
    b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},'
    b'"usage":{"output_tokens":1}}\n\n'
    b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)
# Stream formats this script has a sample for; a format added later without one is reported, not failed.
STREAMS = {"openai": OPENAI_SSE, "anthropic": ANTHROPIC_SSE}


def _expect(label: str, actual: Any, expected: Any) -> None:
    if actual != expected:
        raise SystemExit(f"smoke: {label}: expected {expected!r}, got {actual!r}")
    print(f"  ok  {label}: {actual!r}")


def _fold(format: str, body: bytes) -> str | None:
    from modelwire.parsing.stream import stream_folder

    folder = stream_folder(format, "smoke")  # type: ignore[arg-type]
    for start in range(0, len(body), 7):  # small chunks: events split across reads
        folder.feed(body[start : start + 7])
    folder.finish()
    content: str | None = folder.response().message.content
    return content


def _script(*args: str, timeout: float) -> str:
    script = shutil.which("modelwire", path=sysconfig.get_path("scripts"))
    if script is None:
        raise SystemExit("smoke: the install has no `modelwire` console script")
    done = subprocess.run([script, *args], capture_output=True, text=True, check=False, timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"smoke: `modelwire {' '.join(args)}` exited {done.returncode}:\n{done.stderr}")
    return done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["rust", "python"], required=True)
    args = parser.parse_args(argv)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        import modelwire
        from modelwire import parsing
        from modelwire.parsing import stream

    site = Path(sysconfig.get_path("purelib")).resolve()
    location = Path(modelwire.__file__).resolve()
    print(f"smoke: modelwire {modelwire.__version__} on Python {sys.version.split()[0]} from {location}")
    _expect("installed, not a source tree", location.is_relative_to(site), True)
    _expect("BACKEND", modelwire.BACKEND, args.backend)
    builtin = type(len).__name__
    _expect("parser kind", type(parsing.parse_chat_completion).__name__ == builtin, args.backend == "rust")

    checks: dict[str, Callable[[], Any]] = {
        "chat completion": lambda: parsing.parse_chat_completion(CHAT).message.content,
        "embeddings": lambda: parsing.parse_embeddings(EMBEDDINGS).vectors[0],
        "images": lambda: parsing.parse_image_generation(IMAGES).images[0].url,
        "anthropic message": lambda: parsing.parse_anthropic_message(ANTHROPIC).message.content,
    }
    expected: dict[str, Any] = {"embeddings": [0.5, -1.0], "images": "https://example.com/a.png"}
    for label, run in checks.items():
        _expect(label, run(), expected.get(label, "hi"))
    formats = getattr(stream.StreamFormat, "__args__", ())
    for format in formats:
        if format in STREAMS:
            _expect(f"{format} stream", _fold(format, STREAMS[format]), "hi")
        else:
            print(f"  --  {format} stream: no sample in tools/wheel_smoke.py")

    version = _script("--version", timeout=60).strip()
    prefix = f"modelwire {modelwire.__version__} ({args.backend} backend: "
    _expect("modelwire --version", version.startswith(prefix), True)
    print(f"      {version}")
    demo = _script("demo", timeout=300)
    _expect("modelwire demo", "FAILED" not in demo and bool(demo.strip()), True)
    print("smoke: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
