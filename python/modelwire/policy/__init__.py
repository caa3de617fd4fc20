"""Reliability: one retry layer, fallback chains, adaptive concurrency, rate limits (local and Redis)."""
