"""Building AWS event-stream messages for the tests (the encoder the decoders are checked against),
and the Bedrock recordings of the corpus (raw ConverseStream bodies, and the payload files re-framed)."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Any

import orjson

from corpus_files import recordings

STRING = 7


def header(name: str, value: bytes | str | int | bool, kind: int | None = None) -> bytes:
    """One header; ``kind`` defaults to a string (``str``) or byte array (``bytes``)."""
    raw_name = name.encode()
    out = bytes([len(raw_name)]) + raw_name
    if isinstance(value, bool):
        return out + bytes([0 if value else 1])
    if isinstance(value, str):
        raw = value.encode()
        return out + bytes([STRING]) + struct.pack(">H", len(raw)) + raw
    if isinstance(value, bytes):
        if kind == 9:
            return out + b"\x09" + value
        return out + b"\x06" + struct.pack(">H", len(value)) + value
    assert kind is not None
    codec = {2: ">b", 3: ">h", 4: ">i", 5: ">q", 8: ">q"}[kind]
    return out + bytes([kind]) + struct.pack(codec, value)


def message(block: bytes, payload: bytes) -> bytes:
    """A message with the header block ``block`` and both checksums right."""
    prelude = struct.pack(">II", 16 + len(block) + len(payload), len(block))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + block + payload
    return body + struct.pack(">I", zlib.crc32(body))


def event(event_type: str, payload: bytes) -> bytes:
    """An event as Bedrock sends it."""
    block = (
        header(":event-type", event_type)
        + header(":content-type", "application/json")
        + header(":message-type", "event")
    )
    return message(block, payload)


def exception(exception_type: str, payload: bytes) -> bytes:
    block = (
        header(":exception-type", exception_type)
        + header(":content-type", "application/json")
        + header(":message-type", "exception")
    )
    return message(block, payload)


@dataclass(frozen=True)
class BedrockStream:
    id: str
    body: bytes


def _reframed(body: bytes) -> bytes:
    """A payloads file (``{"<eventType>": {...}}`` per line) as the event stream Bedrock sent."""
    out = b""
    for line in body.split(b"\n"):
        if line.strip():
            ((name, payload),) = orjson.loads(line).items()
            out += event(name, orjson.dumps(payload))
    return out


def bedrock_streams() -> list[BedrockStream]:
    streams = [BedrockStream(r.id, r.body) for r in recordings("converse_stream", providers=("bedrock",))]
    payloads = recordings("converse_stream_payloads", providers=("bedrock",))
    streams += [BedrockStream(r.id, _reframed(r.body)) for r in payloads]
    return streams


def converse_bodies() -> list[tuple[str, bytes]]:
    return [(r.id, r.body) for r in recordings("converse", providers=("bedrock",))]


def decoded_by_corpus(recording_data: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """The corpus's own decoding of a recording: (headers, payload text) per message."""
    return [(m["headers"], m["payload"]) for m in recording_data["response"]["eventstream_decoded"]]
