"""Hostile input across every module: the shared builders (``tests.builders``: an owner,
catalog and stock through the API, the application role's pool) are all it needs."""
