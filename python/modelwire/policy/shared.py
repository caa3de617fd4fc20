"""Limits shared across processes and machines through Redis (the optional ``redis`` package).

``RedisStore`` owns the connections to one Redis (a sync client, and one asyncio client per event loop)
and its health: every call has the configured timeout and no client-side retries; a failure marks Redis
unavailable for ``retry_unavailable_after`` seconds and logs one warning per outage. While it is
unavailable, ``on_unavailable="open"`` keeps going on local limits only and ``"closed"`` refuses to send
(``AdmissionTimeoutError`` with ``provider_code="shared_limits_unavailable"``, which the chain raises).

``SharedGate`` is one model's view: keys ``{namespace}:{provider/model/key-sha256[:12]}:{cool|conc|rpm|tpm}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from modelwire._redact import redact
from modelwire.exceptions import AdmissionTimeoutError
from modelwire.policy import _lua
from modelwire.policy.classify import SHARED_LIMITS_UNAVAILABLE

if TYPE_CHECKING:
    from modelwire.config import SharedLimits

__all__ = ["RedisStore", "SharedGate", "Verdict"]

logger = logging.getLogger("modelwire.policy")

# Wait between polls while every shared concurrency slot is taken (only the head waiter of each process
# polls, so this is the poll rate per process and model).
_POLL_FULL: Final = 0.05
# Releases of leases whose admission reply was never read, running in the background (kept referenced).
_ORPHAN_RELEASES: set[asyncio.Task[None]] = set()


@dataclass(frozen=True, slots=True)
class Verdict:
    lease: str | None  # admitted, with this lease id
    wait: float = 0.0  # not admitted: seconds to wait before asking again


class RedisStore:
    def __init__(self, settings: SharedLimits, *, clock: Any = time.monotonic) -> None:
        import redis  # the optional extra, loaded only when shared limits are configured

        assert settings.url is not None
        self.settings = settings
        self._url = settings.url.get_secret_value()
        parts = urlsplit(self._url)
        self.where = redact(
            f"{parts.hostname or parts.path}:{parts.port}" if parts.port else parts.path or "?"
        )
        self._clock = clock
        self._redis = redis
        self._lock = threading.Lock()
        self._down_until = -math.inf
        self._outage = False
        timeout = settings.timeout
        self._client = redis.Redis.from_url(
            self._url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=redis.retry.Retry(redis.backoff.NoBackoff(), 0),
        )
        self._scripts = {name: self._client.register_script(src) for name, src in _SCRIPTS.items()}
        self._aclients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[Any, dict[str, Any]]] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def fail_open(self) -> bool:
        return self.settings.on_unavailable == "open"

    def up(self) -> bool:
        return bool(self._clock() >= self._down_until)

    def consult(self) -> bool:
        """Whether admission should ask Redis: it is up, or it is down and the policy is fail-closed."""
        return self.up() or not self.fail_open

    def _unavailable_error(self) -> AdmissionTimeoutError:
        return AdmissionTimeoutError(
            f"shared limits unavailable: Redis at {self.where} does not answer, and shared_limits is "
            "fail-closed (on_unavailable='closed'), so nothing is sent",
            provider_code=SHARED_LIMITS_UNAVAILABLE,
        )

    def _failed(self, exc: BaseException) -> None:
        with self._lock:
            self._down_until = self._clock() + self.settings.retry_unavailable_after
            first = not self._outage
            self._outage = True
        if first:
            what = "local limits only" if self.fail_open else "nothing is sent (fail-closed)"
            logger.warning(
                "modelwire: shared limits unavailable: Redis at %s failed (%s: %s); %s until it answers "
                "(next try in %gs)",
                self.where,
                type(exc).__name__,
                redact(str(exc))[:200],
                what,
                self.settings.retry_unavailable_after,
            )

    def _answered(self) -> None:
        if self._outage:
            with self._lock:
                recovered, self._outage = self._outage, False
            if recovered:
                logger.info("modelwire: Redis at %s answers again; shared limits are back on", self.where)

    def _aclient(self) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        entry = self._aclients.get(loop)
        if entry is None:
            from redis import asyncio as aredis
            from redis.asyncio.retry import Retry as AsyncRetry

            timeout = self.settings.timeout
            client = aredis.Redis.from_url(
                self._url,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                retry=AsyncRetry(self._redis.backoff.NoBackoff(), 0),
            )
            entry = (client, {name: client.register_script(src) for name, src in _SCRIPTS.items()})
            self._aclients[loop] = entry
        return entry[1]

    def run(self, script: str, keys: list[str], args: list[Any]) -> Any:
        """Run a script; ``None`` when Redis is unavailable and the policy is fail-open."""
        if not self.up():
            if self.fail_open:
                return None
            raise self._unavailable_error()
        try:
            result = self._scripts[script](keys=keys, args=args)
        except (self._redis.RedisError, OSError) as exc:
            self._failed(exc)
            if self.fail_open:
                return None
            raise self._unavailable_error() from None
        self._answered()
        return result

    async def arun(self, script: str, keys: list[str], args: list[Any]) -> Any:
        if not self.up():
            if self.fail_open:
                return None
            raise self._unavailable_error()
        try:
            # The socket timeout bounds each read; this bounds connecting plus the call as a whole.
            result = await asyncio.wait_for(
                self._aclient()[script](keys=keys, args=args), self.settings.timeout * 2
            )
        except (self._redis.RedisError, OSError, TimeoutError) as exc:
            self._failed(exc)
            if self.fail_open:
                return None
            raise self._unavailable_error() from None
        self._answered()
        return result

    def run_once_quietly(self, script: str, keys: list[str], args: list[Any]) -> None:
        """One try even during an outage, every failure ignored (a lease left behind expires)."""
        with contextlib.suppress(self._redis.RedisError, OSError):
            self._scripts[script](keys=keys, args=args)

    async def arun_once_quietly(self, script: str, keys: list[str], args: list[Any]) -> None:
        with contextlib.suppress(self._redis.RedisError, OSError, TimeoutError):
            await asyncio.wait_for(self._aclient()[script](keys=keys, args=args), self.settings.timeout * 2)

    def close(self) -> None:
        self._client.close()

    async def aclose(self) -> None:
        """Close the running loop's async client (another call on this loop opens a new one)."""
        entry = self._aclients.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await entry[0].aclose()


_SCRIPTS: Final = {"admit": _lua.ADMIT, "release": _lua.RELEASE}


def _tag_part(text: str) -> str:
    # Braces would end the hash tag early; colons would be read as key separators.
    return text.replace("{", "(").replace("}", ")").replace(":", "_")


class SharedGate:
    """One model's limits in Redis."""

    def __init__(
        self,
        store: RedisStore,
        *,
        provider: str,
        model: str,
        key_fingerprint: str | None,
        max_concurrency: int | None,
        requests_per_minute: int | None,
        tokens_per_minute: int | None,
        lease_seconds: float,
    ) -> None:
        self.store = store
        tag = "/".join(_tag_part(p) for p in (provider, model, key_fingerprint or "nokey"))
        prefix = f"{store.settings.namespace}:{{{tag}}}"
        self.keys = {name: f"{prefix}:{name}" for name in ("cool", "conc", "rpm", "tpm")}
        self.max_concurrency = max_concurrency or 0
        self.rpm = requests_per_minute or 0
        self.tpm = tokens_per_minute or 0
        self.lease_ms = max(1, int(lease_seconds * 1000))
        self._prime_rpm = False

    def consult(self) -> bool:
        return self.store.consult()

    def _admit_call(self, tokens: int) -> tuple[str, list[str], list[Any], str]:
        lease = uuid.uuid4().hex
        k = self.keys
        args = [lease, self.max_concurrency, self.lease_ms, self.rpm, self.tpm, max(0, tokens)]
        return "admit", [k["cool"], k["conc"], k["rpm"], k["tpm"]], args, lease

    @staticmethod
    def _verdict(result: Any, lease: str) -> Verdict:
        if result is None:  # Redis unavailable, fail-open: the caller falls back to local limits
            return Verdict(None, 0.0)
        admitted, wait_ms = int(result[0]), int(result[1])
        if admitted:
            return Verdict(lease)
        return Verdict(None, _POLL_FULL if wait_ms < 0 else wait_ms / 1000.0)

    def admit(self, tokens: int) -> Verdict:
        script, keys, args, lease = self._admit_call(tokens)
        try:
            result = self.store.run(script, keys, args)
        except BaseException:
            self._drop_orphan(lease)
            raise
        if result is None:  # no reply read (Redis failed mid-call): the script may still have run
            self._drop_orphan(lease)
        return self._verdict(result, lease)

    async def aadmit(self, tokens: int) -> Verdict:
        """Cancel-safe: cancelled (or failed) while the reply was outstanding, the lease it may have
        taken in Redis is released (the lease id is ours, so releasing one never granted does nothing)."""
        script, keys, args, lease = self._admit_call(tokens)
        try:
            result = await self.store.arun(script, keys, args)
        except BaseException:
            self._adrop_orphan(lease)
            raise
        if result is None:
            self._adrop_orphan(lease)
        return self._verdict(result, lease)

    def _orphan_call(self, lease: str) -> tuple[list[str], list[Any]]:
        """Release ``lease`` giving nothing back (whether tokens were taken is unknown)."""
        k = self.keys
        return [k["cool"], k["conc"], k["tpm"], k["rpm"]], [lease, self.tpm, 0, 0, 0]

    def _drop_orphan(self, lease: str) -> None:
        keys, args = self._orphan_call(lease)
        self.store.run_once_quietly("release", keys, args)

    def _adrop_orphan(self, lease: str) -> None:
        """Scheduled, not awaited: the caller may be a cancelled task."""
        keys, args = self._orphan_call(lease)
        task = asyncio.get_running_loop().create_task(self.store.arun_once_quietly("release", keys, args))
        _ORPHAN_RELEASES.add(task)
        task.add_done_callback(_ORPHAN_RELEASES.discard)

    def learn_rpm(self, stated: int) -> None:
        """Pace by a provider-stated requests/min (the config set none). The next release creates the
        shared bucket empty, as the provider's just was, unless another process created it first."""
        self.rpm = stated
        self._prime_rpm = True

    def _release_call(
        self, lease: str, tokens_back: float, cooldown: float | None
    ) -> tuple[list[str], list[Any]]:
        k = self.keys
        cool_ms = 0 if cooldown is None else max(0, int(cooldown * 1000))
        prime = self.rpm if self._prime_rpm else 0
        self._prime_rpm = False
        keys = [k["cool"], k["conc"], k["tpm"], k["rpm"]]
        return keys, [lease, self.tpm, tokens_back, cool_ms, prime]

    def release(self, lease: str, tokens_back: float, cooldown: float | None) -> None:
        keys, args = self._release_call(lease, tokens_back, cooldown)
        # Fail-closed only refuses new requests; a release that cannot reach Redis expires with its lease.
        with contextlib.suppress(AdmissionTimeoutError):
            self.store.run("release", keys, args)

    async def arelease(self, lease: str, tokens_back: float, cooldown: float | None) -> None:
        keys, args = self._release_call(lease, tokens_back, cooldown)
        with contextlib.suppress(AdmissionTimeoutError):
            await self.store.arun("release", keys, args)
