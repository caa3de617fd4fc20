"""``python -m modelwire.testing serve --port N``: the local provider server as a process.

Prints ``modelwire.testing listening on http://127.0.0.1:<port>`` once it accepts connections (the line
``LocalProviderServer.start_subprocess`` waits for), then serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys

from modelwire.testing.app import App
from modelwire.testing.records import RateLimit, ServerConfig
from modelwire.testing.server import READY_PREFIX, close, listen
from modelwire.testing.state import ServerState


def _config(args: argparse.Namespace) -> ServerConfig:
    config = ServerConfig.from_json(json.loads(args.config)) if args.config else ServerConfig()
    changes: dict[str, object] = {}
    if args.no_auth:
        changes["require_auth"] = False
    if args.rate_limit is not None:
        changes["rate_limit"] = RateLimit(args.rate_limit, per_key=args.per_key)
    if args.event_delay is not None:
        changes["stream_event_delay"] = args.event_delay
    if args.latency is not None:
        changes["latency"] = args.latency
    if args.no_log:
        changes["record_requests"] = False
    return config.updated(**changes)


async def _serve(port: int, config: ServerConfig) -> None:
    app = App(ServerState(config))
    server = await listen(app, port)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopped.set)
    print(READY_PREFIX + app.base_url, flush=True)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # the parent stops reading stdout after that line
    await stopped.wait()
    await close(app, server)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m modelwire.testing")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the local provider server on 127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: pick a free one)")
    serve.add_argument("--config", help="ServerConfig as JSON (what start_subprocess passes)")
    serve.add_argument("--no-auth", action="store_true", help="do not require the providers' auth headers")
    serve.add_argument("--rate-limit", type=float, metavar="RPS", help="answer 429 above RPS requests/s")
    serve.add_argument("--per-key", action="store_true", help="one rate-limit bucket per API key")
    serve.add_argument("--event-delay", type=float, metavar="S", help="seconds between streamed events")
    serve.add_argument("--latency", type=float, metavar="S", help="seconds before each default answer")
    serve.add_argument("--no-log", action="store_true", help="do not keep the request log")
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.port, _config(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
