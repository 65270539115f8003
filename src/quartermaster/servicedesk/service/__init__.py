"""The service desk's use cases; they flush, never commit."""
