"""``--shard i/n``: which items one of n workers takes, decided by a stable hash of each ``custom_id``.

The hash is the first 8 bytes of BLAKE2b of the id's UTF-8 bytes, big-endian, modulo n: the same on
every machine, Python version and run (unlike ``hash()``), so n workers given the same input and
``0/n`` ... ``(n-1)/n`` answer every item exactly once between them, and a restarted worker takes the
same items again. Items without an id are split by their line number (``line-<n>``).
"""

from __future__ import annotations

import hashlib

__all__ = ["Shard", "parse_shard"]


class Shard:
    __slots__ = ("count", "index")

    def __init__(self, index: int, count: int) -> None:
        if count < 1 or not 0 <= index < count:
            raise ValueError(f"shard {index}/{count}: need 0 <= i < n (i counts from 0)")
        self.index = index
        self.count = count

    def accepts(self, custom_id: str) -> bool:
        digest = hashlib.blake2b(custom_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        return int.from_bytes(digest, "big") % self.count == self.index

    def __repr__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """``"i/n"`` (0 <= i < n) -> a Shard; anything else is a ValueError saying what is expected."""
    index, sep, count = text.partition("/")
    try:
        numbers = int(index), int(count)
    except ValueError:
        numbers = None
    if not sep or numbers is None:
        raise ValueError(f"--shard {text!r}: expected i/n with whole numbers, e.g. 0/4")
    try:
        return Shard(*numbers)
    except ValueError as exc:
        raise ValueError(f"--shard {text!r}: {exc}") from None
