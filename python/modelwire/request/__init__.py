"""Request building: canonical requests to provider bodies (TransportKwargs, per-provider translation)."""

from modelwire.request.transport_kwargs import TransportKwargs

__all__ = ["TransportKwargs"]
