"""Base classes of request bodies, shared by every module."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator


class Strict(BaseModel):
    """Request bodies reject unknown fields (no mass assignment of tenant_id, id, role,
    version…): 422 naming the field."""

    model_config = ConfigDict(extra="forbid")


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
