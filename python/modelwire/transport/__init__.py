"""HTTP transport over httpx (or a user's httpx/httpx2 client): timeouts, pool limits, sending."""
