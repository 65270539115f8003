"""Every query of the service desk, one module per subject (``teams``, ``tickets``,
``conversation``, ``reports``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


def add(session: AsyncSession, *rows: Any) -> None:
    session.add_all(rows)
