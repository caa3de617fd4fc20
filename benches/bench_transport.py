"""Client CPU per request of every HTTP client modelwire could sit on, side by side in one run, against
nginx on loopback serving a recorded chat completion (another process, never the bottleneck); the
project's local provider server in a subprocess stands in when nginx is missing.

    make bench-transport BENCH_ARGS="--rounds 5"     # own venv with every contender installed

The CPU measured is this process's (``time.process_time()``: user + sys) divided by the requests; each
figure is the median over rounds, contenders run once per round in a shuffled order, and the ratio column
is the median of each round's ratio to bare aiohttp + orjson (a ratio taken within one round cancels the
load swings of a shared machine). Three tables:

- async, at each ``--concurrency`` (tasks = pool size): bare aiohttp / httpx / httpx2 / httpx over the
  ``httpx-aiohttp`` transport / pyreqwest, each + orjson; ``modelwire.AsyncClient`` on its default
  transport and on each candidate a user can hand it; the openai SDK (its default httpx client and its
  aiohttp client); LiteLLM when it is installed.
- sync, sequential: bare httpx / urllib3 / requests / pyreqwest + orjson, ``modelwire.Client``.
- streaming: CPU per event of a 900-event chat stream read over the socket, against the floor
  (``orjson.loads`` of each event's payload alone).
Goal (issue 19): modelwire <= 1.1x bare aiohttp + orjson at every concurrency, never above bare httpx;
streaming <= 2x the floor.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import random
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson

import modelwire
from bench_client import Contender, run_once

ROOT = Path(__file__).resolve().parent.parent

KEY = "sk-bench-transport"
MODEL = "gpt-4.1-mini"
MESSAGES = [{"role": "user", "content": "Summarise the paragraph in one sentence, keeping every name."}]
BASELINE = "aiohttp + orjson"
HEADERS = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
BODY = orjson.dumps({"model": MODEL, "messages": MESSAGES})
STREAM_EVENTS = 900

Send = Callable[[], Awaitable[Any]]
Close = Callable[[], Awaitable[None]]


# --- what the server serves ------------------------------------------------------------------------------


def load(path: Path) -> dict[str, Any]:
    record: dict[str, Any] = orjson.loads(path.read_bytes())
    return record


def chat_body() -> bytes:
    for path in sorted((ROOT / "tests/corpus/openai/chat_completions").glob("*.json")):
        record = load(path)
        if record["response"]["status"] == 200 and '"content"' in (record["response"]["body"] or ""):
            body = orjson.loads(record["response"]["body"])
            if body.get("choices") and body["choices"][0]["message"].get("content"):
                return orjson.dumps(body)
    raise SystemExit("no recorded chat completion with text content in tests/corpus")


def stream_payloads(count: int = STREAM_EVENTS) -> list[bytes]:
    """``count`` chunk payloads: a recorded stream's first event, its content deltas repeated, its end."""
    best: list[bytes] = []
    for path in sorted((ROOT / "tests/corpus/openai/chat_completions_stream").glob("*.json")):
        body = load(path)["response"]["body"] or ""
        payloads = [
            line[6:].encode()
            for line in body.splitlines()
            if line.startswith("data: ") and "[DONE]" not in line
        ]
        if len(payloads) > len(best):
            best = payloads
    head, tail = best[:1], [p for p in best if b'"finish_reason":"' in p or b'"usage":{' in p]
    middle = [p for p in best[1:] if p not in tail] or best[1:2]
    body = [*head, *(middle[i % len(middle)] for i in range(count - len(head) - len(tail))), *tail]
    return body[:count]


def sse(payloads: list[bytes]) -> bytes:
    return b"".join(b"data: " + p + b"\n\n" for p in payloads) + b"data: [DONE]\n\n"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


NGINX = """worker_processes 1; daemon off; pid {dir}/nginx.pid; error_log {dir}/error.log warn;
events {{ worker_connections 8192; }}
http {{
  access_log off; keepalive_requests 10000000; keepalive_timeout 300s; client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/p; fastcgi_temp_path {dir}/f; uwsgi_temp_path {dir}/u; scgi_temp_path {dir}/s;
  server {{ listen 127.0.0.1:{chat}; root {dir}/chat; default_type application/json;
           location / {{ error_page 405 =200 $uri; }} }}
  server {{ listen 127.0.0.1:{stream}; root {dir}/stream; default_type text/event-stream;
           location / {{ error_page 405 =200 $uri; }} }}
}}
"""


@contextlib.contextmanager
def serve(chat: bytes, stream: bytes) -> Iterator[tuple[str, str, str]]:
    """(chat base URL, stream base URL, what serves them): nginx when it is installed."""
    nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
    if nginx is None:
        from modelwire.testing import LocalProviderServer

        with LocalProviderServer.start_subprocess(record_requests=False) as server:
            base = server.openai_base_url
            yield base, base, "the local provider server (nginx not installed)"
        return
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)  # nginx's workers run as an unprivileged user
        for name, body in (("chat", chat), ("stream", stream)):
            (Path(tmp) / name / "v1" / "chat").mkdir(parents=True)
            (Path(tmp) / name / "v1" / "chat" / "completions").write_bytes(body)
        ports = {"chat": _free_port(), "stream": _free_port()}
        (Path(tmp) / "nginx.conf").write_text(NGINX.format(dir=tmp, **ports))
        process = subprocess.Popen([nginx, "-c", f"{tmp}/nginx.conf", "-e", f"{tmp}/error.log"])
        try:
            for _ in range(100):
                with socket.socket() as probe:
                    if probe.connect_ex(("127.0.0.1", ports["stream"])) == 0:
                        break
                time.sleep(0.05)
            yield (f"http://127.0.0.1:{ports['chat']}/v1", f"http://127.0.0.1:{ports['stream']}/v1", "nginx")
        finally:
            process.terminate()
            process.wait(10)


# --- async contenders ------------------------------------------------------------------------------------


def _check(content: Any) -> Any:
    if not content:
        raise RuntimeError("no text in the answer")
    return content


def bare_aiohttp(base: str, pool: int) -> tuple[Send, Close]:
    import aiohttp

    session: list[aiohttp.ClientSession] = []
    url = f"{base}/chat/completions"

    async def send() -> Any:
        if not session:
            session.append(aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=pool)))
        async with session[0].post(url, data=BODY, headers=HEADERS) as response:
            if response.status != 200:
                raise RuntimeError(f"aiohttp got {response.status}")
            return _check(orjson.loads(await response.read())["choices"][0]["message"]["content"])

    async def close() -> None:
        if session:
            await session[0].close()

    return send, close


def bare_httpx(library: Any, base: str, pool: int, transport: Any = None) -> tuple[Send, Close]:
    limits = library.Limits(max_connections=pool, max_keepalive_connections=pool, keepalive_expiry=30.0)
    options: dict[str, Any] = {"transport": transport} if transport is not None else {"limits": limits}
    http = library.AsyncClient(base_url=base, timeout=60.0, **options)

    async def send() -> Any:
        response = await http.post("/chat/completions", content=BODY, headers=HEADERS)
        if response.status_code != 200:
            raise RuntimeError(f"{library.__name__} got {response.status_code}")
        return _check(orjson.loads(response.content)["choices"][0]["message"]["content"])

    return send, http.aclose


def bare_pyreqwest(base: str, pool: int) -> tuple[Send, Close]:
    from pyreqwest.client import ClientBuilder

    client = ClientBuilder().max_connections(pool).base_url(base + "/").build()

    async def send() -> Any:
        response = await client.post("chat/completions").body_bytes(BODY).headers(HEADERS).build().send()
        if response.status != 200:
            raise RuntimeError(f"pyreqwest got {response.status}")
        return _check(orjson.loads(memoryview(await response.bytes()))["choices"][0]["message"]["content"])

    async def close() -> None:
        await client.close()

    return send, close


def facade(base: str, pool: int, own: Any = None, **options: Any) -> tuple[Send, Close]:
    if own is not None:
        options["async_http_client"] = own
    client = modelwire.AsyncClient(
        f"openai/{MODEL}", api_key=KEY, api_base=base, max_concurrency=pool, **options
    )

    async def send() -> Any:
        return _check((await client.complete(MESSAGES)).message.content)

    async def close() -> None:
        await client.aclose()
        if own is not None:
            await own.aclose()

    return send, close


def _httpx_client(pool: int) -> httpx.AsyncClient:
    """What modelwire's httpx fallback builds: a pool of ``pool`` connections."""
    limits = httpx.Limits(max_connections=pool, max_keepalive_connections=pool, keepalive_expiry=30.0)
    return httpx.AsyncClient(limits=limits, timeout=60.0)


def openai_sdk(base: str, pool: int, aiohttp_client: bool) -> tuple[Send, Close]:
    import openai

    if aiohttp_client:
        http: Any = openai.DefaultAioHttpClient(timeout=60.0)
    else:
        limits = httpx.Limits(max_connections=pool, max_keepalive_connections=pool, keepalive_expiry=30.0)
        http = openai.DefaultAsyncHttpxClient(limits=limits, timeout=60.0)
    sdk = openai.AsyncOpenAI(base_url=base, api_key=KEY, max_retries=0, http_client=http)

    async def send() -> Any:
        completion = await sdk.chat.completions.create(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]
        return _check(completion.choices[0].message.content)

    return send, sdk.close


def litellm_send(base: str, pool: int) -> tuple[Send, Close]:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network fetch at import
    import litellm

    async def send() -> Any:
        response = await litellm.acompletion(
            model=f"openai/{MODEL}", api_base=base, api_key=KEY, messages=MESSAGES, num_retries=0
        )
        return _check(response.choices[0].message.content)

    async def close() -> None:
        return None

    return send, close


def transport_alone(base: str, pool: int) -> tuple[Send, Close]:
    """modelwire's aiohttp transport with the request already built: what the transport itself costs."""
    from modelwire.transport.over_aiohttp import AiohttpTransport

    transport = AiohttpTransport(base, max_connections=pool, headers=HEADERS)

    async def send() -> Any:
        response = await transport.request("POST", "chat/completions", content=BODY)
        return _check(orjson.loads(response.content)["choices"][0]["message"]["content"])

    return send, transport.aclose


def adapter_alone(base: str, pool: int) -> tuple[Send, Close]:
    """The OpenAI-compatible adapter on its default transport, without the facade's policy."""
    from modelwire.providers import OpenAICompatibleClient
    from modelwire.types import ChatCompletionRequest

    adapter = OpenAICompatibleClient(base_url=base, api_key=KEY, max_concurrency=pool)

    async def send() -> Any:
        request = ChatCompletionRequest(model=MODEL, messages=MESSAGES)
        return _check((await adapter.acompletion(request)).message.content)

    return send, adapter.aclose


def async_contenders(base: str, pool: int) -> list[Contender]:
    makers: list[tuple[str, Callable[[], tuple[Send, Close]]]] = [
        (BASELINE, lambda: bare_aiohttp(base, pool)),
        ("  modelwire's aiohttp transport alone", lambda: transport_alone(base, pool)),
        ("  modelwire adapter alone (no policy)", lambda: adapter_alone(base, pool)),
        ("httpx + orjson", lambda: bare_httpx(httpx, base, pool)),
        ("modelwire.AsyncClient (default transport)", lambda: facade(base, pool)),
        ("modelwire.AsyncClient on httpx (fallback)", lambda: facade(base, pool, own=_httpx_client(pool))),
        ("openai SDK (httpx)", lambda: openai_sdk(base, pool, aiohttp_client=False)),
    ]
    with contextlib.suppress(ImportError):
        import httpx2

        limits2 = httpx2.Limits(max_connections=pool, max_keepalive_connections=pool, keepalive_expiry=30.0)
        makers.append(("httpx2 + orjson", lambda: bare_httpx(httpx2, base, pool)))
        makers.append(
            (
                "modelwire.AsyncClient on a user's httpx2 client",
                lambda: facade(base, pool, own=httpx2.AsyncClient(limits=limits2, timeout=60.0)),
            )
        )
    with contextlib.suppress(ImportError):
        from httpx_aiohttp import AiohttpTransport

        makers.append(
            ("httpx over httpx-aiohttp + orjson", lambda: bare_httpx(httpx, base, pool, AiohttpTransport()))
        )
        makers.append(
            (
                "modelwire.AsyncClient on httpx over httpx-aiohttp",
                lambda: facade(base, pool, own=httpx.AsyncClient(transport=AiohttpTransport(), timeout=60.0)),
            )
        )
        makers.append(("openai SDK (aiohttp)", lambda: openai_sdk(base, pool, aiohttp_client=True)))
    with contextlib.suppress(ImportError):
        import pyreqwest  # noqa: F401

        makers.append(("pyreqwest + orjson", lambda: bare_pyreqwest(base, pool)))
    with contextlib.suppress(ImportError):
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network fetch at import
        import litellm  # noqa: F401

        makers.append(("LiteLLM", lambda: litellm_send(base, pool)))
    return [Contender(name, *make(), BASELINE) for name, make in makers]


async def measure_async(base: str, requests: int, rounds: int, levels: list[int]) -> dict[int, Any]:
    results: dict[int, Any] = {}
    rng = random.Random(19)
    for concurrency in levels:
        entries = async_contenders(base, concurrency)
        for entry in entries:  # warm up: imports, a connection per task, caches
            await entry.send()
            await run_once(entry.send, concurrency * 2, concurrency)
        cpu: dict[str, list[float]] = {e.name: [] for e in entries}
        for _ in range(rounds):
            order = entries[:]
            rng.shuffle(order)
            for entry in order:
                spent, _wall = await run_once(entry.send, requests, concurrency)
                cpu[entry.name].append(spent / requests * 1e6)
        results[concurrency] = cpu
        for entry in entries:
            await entry.close()
    return results


# --- sync contenders ---------------------------------------------------------------------------------------


def sync_contenders(base: str) -> dict[str, tuple[Callable[[], Any], Callable[[], None]]]:
    url = f"{base}/chat/completions"
    http = httpx.Client(timeout=60.0)

    def via_httpx() -> Any:
        return _check(orjson.loads(http.post(url, content=BODY, headers=HEADERS).content)["choices"])

    client = modelwire.Client(f"openai/{MODEL}", api_key=KEY, api_base=base, max_concurrency=1)
    result: dict[str, tuple[Callable[[], Any], Callable[[], None]]] = {
        "httpx sync + orjson": (via_httpx, http.close),
        "modelwire.Client": (lambda: _check(client.complete(MESSAGES).message.content), client.close),
    }
    with contextlib.suppress(ImportError):
        import urllib3

        manager = urllib3.PoolManager(maxsize=1)

        def via_urllib3() -> Any:
            response = manager.request("POST", url, body=BODY, headers=HEADERS)
            return _check(orjson.loads(response.data)["choices"])

        result["urllib3 + orjson"] = (via_urllib3, manager.clear)
    with contextlib.suppress(ImportError):
        import requests

        session = requests.Session()

        def via_requests() -> Any:
            return _check(orjson.loads(session.post(url, data=BODY, headers=HEADERS).content)["choices"])

        result["requests + orjson"] = (via_requests, session.close)
    with contextlib.suppress(ImportError):
        from pyreqwest.client import SyncClientBuilder

        reqwest = SyncClientBuilder().build()

        def via_pyreqwest() -> Any:
            response = reqwest.post(url).body_bytes(BODY).headers(HEADERS).build().send()
            return _check(orjson.loads(memoryview(response.bytes()))["choices"])

        result["pyreqwest sync + orjson"] = (via_pyreqwest, reqwest.close)
    return result


def measure_sync(base: str, requests: int, rounds: int) -> dict[str, list[float]]:
    entries = sync_contenders(base)
    for send, _ in entries.values():
        for _ in range(20):
            send()
    cpu: dict[str, list[float]] = {name: [] for name in entries}
    rng = random.Random(19)
    for _ in range(rounds):
        order = list(entries)
        rng.shuffle(order)
        for name in order:
            send = entries[name][0]
            gc.collect()
            started = time.process_time()
            for _ in range(requests):
                send()
            cpu[name].append((time.process_time() - started) / requests * 1e6)
    for _, close in entries.values():
        close()
    return cpu


# --- streaming ---------------------------------------------------------------------------------------------


def measure_stream(base: str, payloads: list[bytes], streams: int, rounds: int) -> dict[str, list[float]]:
    events = len(payloads)

    def floor() -> None:
        for payload in payloads:
            orjson.loads(payload)

    async def run_async(client: modelwire.AsyncClient) -> None:
        async with client.stream(MESSAGES) as stream:
            async for _event in stream:
                pass
            await stream.final_response()

    sync_client = modelwire.Client(f"openai/{MODEL}", api_key=KEY, api_base=base)

    def run_sync() -> None:
        with sync_client.stream(MESSAGES) as stream:
            for _event in stream:
                pass
            stream.final_response()

    async def main() -> dict[str, list[float]]:
        default = modelwire.AsyncClient(f"openai/{MODEL}", api_key=KEY, api_base=base)
        fallback = modelwire.AsyncClient(
            f"openai/{MODEL}",
            api_key=KEY,
            api_base=base,
            max_concurrency=10,
            async_http_client=_httpx_client(10),
        )
        cases: dict[str, Callable[[], Awaitable[None]]] = {
            "modelwire.AsyncClient.stream (default transport)": lambda: run_async(default),
            "modelwire.AsyncClient.stream on httpx (fallback)": lambda: run_async(fallback),
        }
        cpu: dict[str, list[float]] = {"orjson.loads per payload (floor)": [], "modelwire.Client.stream": []}
        cpu.update({name: [] for name in cases})
        for case in cases.values():
            await case()
        run_sync()
        for _ in range(rounds):
            for name, case in cases.items():
                gc.collect()
                started = time.process_time()
                for _ in range(streams):
                    await case()
                cpu[name].append((time.process_time() - started) / (streams * events) * 1e6)
            started = time.process_time()
            for _ in range(streams):
                run_sync()
            cpu["modelwire.Client.stream"].append((time.process_time() - started) / (streams * events) * 1e6)
            started = time.process_time()
            for _ in range(streams):
                floor()
            cpu["orjson.loads per payload (floor)"].append(
                (time.process_time() - started) / (streams * events) * 1e6
            )
        await default.aclose()
        await fallback.aclose()
        sync_client.close()
        return cpu

    return asyncio.run(main())


# --- report ------------------------------------------------------------------------------------------------


def table(cpu: dict[str, list[float]], baseline: str, unit: str) -> list[str]:
    lines = [f"| client | CPU us / {unit} | x {baseline} (median of rounds) |", "|---|---|---|"]
    base = cpu[baseline]
    for name, values in sorted(cpu.items(), key=lambda item: statistics.median(item[1])):
        ratios = [v / b for v, b in zip(values, base, strict=True)]
        lines.append(f"| {name} | {statistics.median(values):,.1f} | {statistics.median(ratios):.2f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 64, 256])
    parser.add_argument("--streams", type=int, default=5, help="900-event streams per contender per round")
    parser.add_argument(
        "--only", choices=["async", "sync", "stream"], nargs="+", default=["async", "sync", "stream"]
    )
    args = parser.parse_args()
    payloads = stream_payloads()
    with serve(chat_body(), sse(payloads)) as (chat_base, stream_base, server):
        out = [f"server: {server}; backend {modelwire.BACKEND}; {args.rounds} rounds"]
        if "async" in args.only:
            results = asyncio.run(measure_async(chat_base, args.requests, args.rounds, args.concurrency))
            for concurrency, cpu in results.items():
                out += ["", f"async, concurrency {concurrency}, {args.requests} requests per round", ""]
                out += table(cpu, BASELINE, "request")
        if "sync" in args.only:
            out += ["", f"sync, sequential, {args.requests} requests per round", ""]
            out += table(
                measure_sync(chat_base, args.requests, args.rounds), "httpx sync + orjson", "request"
            )
        if "stream" in args.only:
            out += ["", f"streaming, {len(payloads)} events, {args.streams} streams per round", ""]
            floor = "orjson.loads per payload (floor)"
            out += table(measure_stream(stream_base, payloads, args.streams, args.rounds), floor, "event")
    print("\n".join(out))


if __name__ == "__main__":
    main()
