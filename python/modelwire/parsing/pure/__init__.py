"""The pure-Python twin of the Rust parsing core: the reference for behaviour (see docs/ARCHITECTURE.md)."""
