"""Batch work: many requests in, one output line each (the batch output line contract in
``docs/batch.md``). ``provider_*`` modules send them through a provider's own Batch API
(``docs/provider-batch.md``)."""
