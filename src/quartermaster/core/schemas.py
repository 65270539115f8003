"""Base classes of request bodies, shared by every module."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, field_validator, model_validator


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    return False


class Strict(BaseModel):
    """Request bodies reject unknown fields (no mass assignment of tenant_id, id, role,
    version…): 422 naming the field. No string in them may hold a NUL character (JSON's
    ``\u0000``), which PostgreSQL cannot store in text or jsonb: 422, not a failed
    statement."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        if _has_nul(value):
            raise ValueError("must not contain NUL characters (\\u0000)")
        return value


class StrictPatch(Strict):
    """A partial update: absent fields stay as they are; ``null`` is accepted only by the
    fields listed in ``NULLABLE`` (it clears them)."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _reject_null_for_required_fields(self) -> StrictPatch:
        nulls = [
            name
            for name in self.model_fields_set
            if getattr(self, name) is None and name not in self.NULLABLE
        ]
        if nulls:
            raise ValueError(f"{', '.join(sorted(nulls))} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, with their values."""
        return {name: getattr(self, name) for name in self.model_fields_set}
