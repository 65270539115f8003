"""Errors raised while starting or locking the embedded runtime."""

from __future__ import annotations


class DataDirBusy(RuntimeError):
    """Another process already serves this data dir."""


class EmbeddedStartError(RuntimeError):
    """An embedded server could not be started; the message carries its log tail."""


class PortTaken(EmbeddedStartError):
    """The port chosen for a server was taken before it could bind it (retried once)."""
