# Hand-written stub for the Rust extension `modelwire._core`; checked by `python -m mypy.stubtest`.

__all__ = ["__version__"]
__version__: str

# --- SSE decoding ---
# The pure twin (modelwire.parsing.pure.sse) documents the rules; both return equal SseEvent objects.
from typing import final as _final

from modelwire.parsing.pure.sse import SseEvent as _SseEvent

__all__ += ["NdjsonDecoder", "SseDecoder"]

@_final
class SseDecoder:
    def __init__(self) -> None: ...
    def feed(self, chunk: bytes | bytearray) -> list[_SseEvent]: ...
    def finish(self) -> list[_SseEvent]: ...

@_final
class NdjsonDecoder:
    def __init__(self) -> None: ...
    def feed(self, chunk: bytes | bytearray) -> list[str]: ...
    def finish(self) -> list[str]: ...
