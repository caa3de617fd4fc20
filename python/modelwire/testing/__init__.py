"""A local provider server on 127.0.0.1 for tests, demos and benchmarks (stdlib only)."""
