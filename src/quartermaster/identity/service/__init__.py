"""Identity use cases. Services flush, never commit: the request or command owns the
transaction."""
