"""The messages of the live protocol.

Client → server: ``subscribe`` (optionally ``since`` a position), ``unsubscribe``,
``ping`` (answered with ``pong``), ``pong`` (the answer to a server heartbeat; ignored).
Server → client: ``event``, ``subscribed``, ``unsubscribed``, ``resync_required``,
``error``, ``pong``, ``ping`` (heartbeat).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from quartermaster.core.streams import Offset

MAX_CHANNELS_PER_MESSAGE = 32


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Since(_Message):
    """A position in the tenant's stream: the offset of the last event received and the
    epoch it belongs to."""

    offset: str = Field(max_length=64)
    epoch: str = Field(min_length=1, max_length=64)

    @field_validator("offset")
    @classmethod
    def _offset(cls, value: str) -> str:
        Offset.parse(value)
        return value

    @property
    def position(self) -> Offset:
        return Offset.parse(self.offset)


ChannelList = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=100)]],
    Field(min_length=1, max_length=MAX_CHANNELS_PER_MESSAGE),
]


class Subscribe(_Message):
    op: Literal["subscribe"]
    channels: ChannelList
    since: Since | None = None


class Unsubscribe(_Message):
    op: Literal["unsubscribe"]
    channels: ChannelList


class Ping(_Message):
    op: Literal["ping"]


class Pong(_Message):
    op: Literal["pong"]


ClientMessage = Annotated[Subscribe | Unsubscribe | Ping | Pong, Field(discriminator="op")]
_client_message: TypeAdapter[Subscribe | Unsubscribe | Ping | Pong] = TypeAdapter(ClientMessage)


class BadMessage(ValueError):
    pass


def parse_client_message(text: str) -> Subscribe | Unsubscribe | Ping | Pong:
    try:
        return _client_message.validate_json(text)
    except ValidationError as exc:
        raise BadMessage(_describe(exc)) from exc


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        if error["type"] == "json_invalid":
            return "the message is not valid JSON"
        if error["type"] == "union_tag_not_found":
            return "the message needs an 'op': subscribe, unsubscribe or ping"
        if error["type"] == "union_tag_invalid":
            return "unknown 'op'; one of: subscribe, unsubscribe, ping"
        # loc[0] is the discriminator's value; the rest names the field
        where = ".".join(str(part) for part in error["loc"][1:]) or "message"
        problems.append(f"{where}: {error['msg']}")
    return "; ".join(problems) or "the message is invalid"


def message(op: str, **fields: Any) -> str:
    return json.dumps({"op": op, **fields}, separators=(",", ":"))


PING = message("ping")
PONG = message("pong")


class TicketOut(BaseModel):
    ticket: str = Field(description="For ?token= on /api/v1/ws or /api/v1/events/stream")
    expires_in: int = Field(description="Seconds it stays valid (once)")
