"""``make soak``: the hostile-server scenarios at full size, with the default limits, one fresh client
process per scenario; reports the typed error, the time to it and the client's peak RSS.

    .venv/bin/python benches/soak_hostile.py                    # every scenario, both modes
    .venv/bin/python benches/soak_hostile.py --scenario endless-line --mode sync

Sizes are the defaults (max_response_bytes 256 MiB, a line 32 MiB, an event 64 MiB); the time-bound
scenarios use ``timeout=5`` (the default whole-response timeout is 600 s, the read timeout 60 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent.parent / "tests"

# scenario -> (server behaviour, streamed?, client options)
SCENARIOS: dict[str, tuple[str, bool, dict[str, Any]]] = {
    "trickle": ("trickle", False, {"timeout": 5}),
    "slow-headers": ("slow-headers", False, {"timeout": 5}),
    "endless-body": ("endless-body", False, {}),
    "huge-declared": ("huge-declared", False, {}),
    "endless-line": ("endless-line", True, {}),
    "endless-event": ("endless-event", True, {}),
    "endless-stream": ("endless-stream", True, {}),
    "keepalive-stream": ("keepalive-stream", True, {"timeout": {"read": 5}}),
    "cut-stream": ("cut-anthropic", True, {}),
}


def client_run(url: str, streamed: bool, options: dict[str, Any], mode: str) -> dict[str, Any]:
    """In the child process: one call, the error it ended with, elapsed seconds and peak RSS."""
    from modelwire.providers import AnthropicClient, OpenAICompatibleClient
    from modelwire.types import ChatCompletionRequest

    request = ChatCompletionRequest(model="m", messages=[{"role": "user", "content": "hi"}])
    cls = AnthropicClient if "anthropic" in url else OpenAICompatibleClient
    adapter = cls(base_url=url, api_key="sk-soak-0123456789", **options)
    started = time.monotonic()
    error: BaseException | None = None
    try:
        if mode == "sync":
            with adapter:
                if streamed:
                    with adapter.stream(request) as events:
                        for _ in events:
                            pass
                else:
                    adapter.completion(request)
        else:

            async def run() -> None:
                async with adapter:
                    if streamed:
                        async with adapter.astream(request) as events:
                            async for _ in events:
                                pass
                    else:
                        await adapter.acompletion(request)

            asyncio.run(run())
    except Exception as exc:
        error = exc
    elapsed = time.monotonic() - started
    cause = error.__cause__ if error is not None else None
    return {
        "error": None if error is None else type(error).__name__,
        "cause": None if cause is None else type(cause).__name__,
        "message": None if error is None else str(error).splitlines()[0][:110],
        "seconds": round(elapsed, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIOS))
    parser.add_argument("--mode", action="append", choices=["sync", "async"])
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)  # url streamed options mode
    args = parser.parse_args()
    if args.child:
        url, streamed, options, mode = args.child
        print(json.dumps(client_run(url, streamed == "1", json.loads(options), mode)))
        return 0
    sys.path.insert(0, str(TESTS))
    from hostile_server import HostileServer

    server = HostileServer(interval=0.05)
    print(f"{'scenario':<18}{'mode':<7}{'seconds':>8}{'peak RSS MiB':>14}  error (cause): message")
    try:
        for name in args.scenario or list(SCENARIOS):
            behaviour, streamed, options = SCENARIOS[name]
            for mode in args.mode or ["sync", "async"]:
                child = [sys.executable, __file__, "--child", server.url(behaviour), "1" if streamed else "0"]
                out = subprocess.run(
                    [*child, json.dumps(options), mode], capture_output=True, text=True, check=True
                )
                result = json.loads(out.stdout.strip().splitlines()[-1])
                cause = f" ({result['cause']})" if result["cause"] else ""
                print(
                    f"{name:<18}{mode:<7}{result['seconds']:>8}{result['peak_rss_mib']:>14}  "
                    f"{result['error']}{cause}: {result['message']}",
                    flush=True,
                )
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
