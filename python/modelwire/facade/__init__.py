"""The high-level Client and AsyncClient, and the registry of named models."""
