"""Request building: canonical requests to provider bodies (TransportKwargs, per-provider translation)."""
