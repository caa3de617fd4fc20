"""The pure-Python twin of the Rust parser: the reference for behaviour (docs/parsing-rules.md).

Written with orjson; same signatures and same results as ``modelwire._core``. Used when the extension is
absent or ``MODELWIRE_PURE_PYTHON=1``, and by the tests that compare the two.
"""

from modelwire.parsing.pure.anthropic import parse_anthropic_message
from modelwire.parsing.pure.bedrock import parse_bedrock_converse
from modelwire.parsing.pure.chat import parse_chat_completion
from modelwire.parsing.pure.embeddings import parse_embeddings
from modelwire.parsing.pure.finish import normalise_finish_reason
from modelwire.parsing.pure.gemini import parse_gemini_content
from modelwire.parsing.pure.gemini_embeddings import parse_gemini_embeddings
from modelwire.parsing.pure.images import parse_image_generation
from modelwire.parsing.pure.responses import parse_responses
from modelwire.parsing.pure.usage import parse_usage

__all__ = [
    "normalise_finish_reason",
    "parse_anthropic_message",
    "parse_bedrock_converse",
    "parse_chat_completion",
    "parse_embeddings",
    "parse_gemini_content",
    "parse_gemini_embeddings",
    "parse_image_generation",
    "parse_responses",
    "parse_usage",
]
