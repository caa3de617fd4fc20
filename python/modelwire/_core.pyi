# Hand-written stub for the Rust extension `modelwire._core`; checked by `python -m mypy.stubtest`.

__all__ = ["__version__"]
__version__: str
