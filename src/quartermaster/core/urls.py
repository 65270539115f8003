"""Where the API lives: every business endpoint is mounted under :data:`API`
(``api.create_app``), and Location headers and links are built from it."""

from __future__ import annotations

API = "/api/v1"
