"""Classification: HTTP error responses and transport failures to exceptions; Retry-After parsing."""
