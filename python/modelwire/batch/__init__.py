"""Batch work: many requests from a JSONL file through one client, resumable, with progress and a summary.

``modelwire batch INPUT.jsonl -o OUTPUT.jsonl --model ...`` is the command line over :func:`run_batch`;
the Python API for requests held in memory or produced lazily is ``Client.map`` / ``AsyncClient.amap``
(``modelwire.facade.mapping``), which this package builds on. Formats, resumption, shards and fleets:
``docs/batch.md``.

This is a layer of its own between the facade and the command line: it imports the facade and below,
and only ``modelwire.cli`` (and ``modelwire.compat``) import it.
"""

from modelwire.batch.attempts import AttemptCounter
from modelwire.batch.files import line_id
from modelwire.batch.lines import error_info, failure_line, output_line
from modelwire.batch.runner import default_failures_path, run_batch
from modelwire.batch.shard import Shard, parse_shard
from modelwire.batch.summary import BatchSummary

__all__ = [
    "AttemptCounter",
    "BatchSummary",
    "Shard",
    "default_failures_path",
    "error_info",
    "failure_line",
    "line_id",
    "output_line",
    "parse_shard",
    "run_batch",
]
