"""Quartermaster: multi-tenant operations platform (inventory, service desk, knowledge)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("quartermaster")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"
