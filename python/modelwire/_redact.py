"""Masks secrets in any text modelwire shows: error messages, body excerpts, reprs, log lines.

Two nets: patterns for the key formats providers issue (and echo back, e.g. OpenAI's "Incorrect API key
provided: sk-..."), plus the exact values of keys this process was configured with, registered by the
layers that receive them, so a key in an unusual format is masked too.
"""

from __future__ import annotations

import re
import threading

__all__ = ["MASK", "excerpt", "redact", "register_secret", "truncate"]

MASK = "[REDACTED]"

# Key shapes: OpenAI (sk-, sk-proj-, sk-svcacct-), Anthropic (sk-ant-), OpenRouter (sk-or-v1-), Google
# (AIza), Groq (gsk_), xAI (xai-), Hugging Face (hf_), NVIDIA (nvapi-), Perplexity (pplx-), Cerebras
# (csk-), Replicate (r8_), AWS access key ids. The character class admits '*' because providers echo keys
# half-masked ("sk-proj-****abcd") and the visible tail is still part of a key.
_KEY = (
    r"(?:sk|gsk|xai|hf|nvapi|pplx|csk|r8)[-_][A-Za-z0-9_\-*]{6,}"
    r"|AIza[0-9A-Za-z_\-]{20,}"
    r"|ya29\.[0-9A-Za-z_\-]{20,}"
    r"|(?:AKIA|ASIA)[A-Z0-9]{16}"
)
_BEARER = r"(?P<bearer>(?i:bearer)\s+)[A-Za-z0-9._~+/\-]+=*"
# Credentials in URLs (Gemini's ?key=, signed AWS URLs) and in header- or JSON-like "name: value" text.
# The named groups are the part kept: the reader still sees what was there, never its value. After '='
# the value follows at once (or quoted): "pass api_key= or set OPENAI_API_KEY" is a hint, not a key.
_PARAM = (
    r"(?P<param>(?<=[?&])(?i:key|api[-_]?key|access[-_]?token|token|sig|signature|"
    r"x-amz-signature|x-amz-credential|x-amz-security-token)=)[^&\s\"'<>]+"
)
_FIELD = (
    r"(?P<field>(?i:(?:x-)?api[-_]?key|x-goog-api-key|authorization|aws_secret_access_key|"
    r"aws_session_token)[\"']?(?:\s*:\s*|\s*=(?:\s*(?=[\"']))?)[\"']?(?:(?i:bearer|basic)\s+)?)"
    r"[^\s\"',;}]+"
)
_PATTERN = re.compile(f"{_BEARER}|{_PARAM}|{_FIELD}|\\b(?:{_KEY})")

# Every pattern above needs one of these (lower-cased) substrings; text with none of them is returned at
# once. Most error text is plain prose, and the regex costs ~0.2 us per character.
_TRIGGERS = (
    "sk-", "sk_", "xai", "hf-", "hf_", "nvapi", "pplx", "r8-", "r8_", "aiza", "ya29.", "akia", "asia",
    "bearer", "key", "token", "sig", "authorization", "aws_", "x-amz",
)  # fmt: skip

_lock = threading.Lock()
_secrets: frozenset[str] = frozenset()
_secrets_re: re.Pattern[str] | None = None


def register_secret(value: str | None) -> None:
    """Mask this exact value wherever it appears from now on (values under 8 characters are ignored)."""
    global _secrets, _secrets_re
    if not value or len(value) < 8 or value in _secrets:
        return
    with _lock:
        _secrets = _secrets | {value}
        # Longest first so a key that contains another is masked whole.
        alternatives = sorted(_secrets, key=len, reverse=True)
        _secrets_re = re.compile("|".join(re.escape(s) for s in alternatives))


def _mask_match(match: re.Match[str]) -> str:
    return (match["bearer"] or match["param"] or match["field"] or "") + MASK


def redact(text: str) -> str:
    """``text`` with every key-shaped string and every registered secret masked."""
    pattern = _secrets_re
    if pattern is not None:
        text = pattern.sub(MASK, text)
    lowered = text.lower()
    if not any(trigger in lowered for trigger in _TRIGGERS):
        return text
    return _PATTERN.sub(_mask_match, text)


def truncate(text: str, limit: int = 240) -> str:
    """Shorten ``text`` to ``limit`` characters, saying how much was cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [{len(text) - limit} more chars]"


def _spans(text: str) -> list[tuple[int, int]]:
    """Where ``redact`` would mask something in ``text``."""
    spans = [m.span() for m in _secrets_re.finditer(text)] if _secrets_re is not None else []
    lowered = text.lower()
    if any(trigger in lowered for trigger in _TRIGGERS):
        spans += [m.span() for m in _PATTERN.finditer(text)]
    return spans


def excerpt(before: str, after: str, radius: int = 40) -> str:
    """The ``radius`` characters each side of a fault, masked *before* they are cut: a secret that the
    window's edge crosses is taken whole into the window, then masked, so no fragment of it survives.
    ``before`` and ``after`` are the text around the fault, reaching well beyond ``radius``."""
    text = before + after
    at = len(before)
    start, end = max(0, at - radius), min(len(text), at + radius)
    spans = _spans(text)
    changed = True
    while changed:
        changed = False
        for left, right in spans:
            if left < end and right > start and (left < start or right > end):
                start, end = min(start, left), max(end, right)
                changed = True
    return redact(text[start:end])
