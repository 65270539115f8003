"""The mail module offers nothing to other modules: they send through core.mail."""

__all__: list[str] = []
