"""Idempotent writes: the same ``Idempotency-Key`` and request get the first response.

The key row is inserted first in the request's transaction. Its primary key makes a
concurrent duplicate wait until the first transaction ends; it then finds the stored
response (first committed) or runs itself (first rolled back). The response is stored in
the same transaction as the change, so a key exists if and only if its change committed.
A rejected request (4xx) is rolled back, key included: retrying it later with the same key
runs it again, and it may then succeed (e.g. after a restock). Keys are kept at least
24 hours; :func:`prune_idempotency_keys` removes older ones.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from quartermaster.core.clock import utcnow
from quartermaster.core.errors import Conflict
from quartermaster.inventory import repository
from quartermaster.inventory.errors import IdempotencyKeyReused

MINIMUM_RETENTION = timedelta(hours=24)


@dataclass(frozen=True)
class StoredResponse:
    status: int
    content: bytes  # the JSON body
    id: str | None  # the body's "id", for a Location header
    replayed: bool


def request_fingerprint(method: str, path: str, payload: BaseModel) -> str:
    """SHA-256 of the method, the path and the request's canonical JSON (validated, nulls
    dropped, keys sorted): requests that mean the same thing have the same fingerprint."""
    canonical = json.dumps(
        payload.model_dump(mode="json", exclude_none=True),
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(f"{method.upper()} {path}\n{canonical}".encode()).hexdigest()


async def respond_once(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    key: str | None,
    request: tuple[str, str, BaseModel],
    status: int,
    produce: Callable[[], Awaitable[BaseModel]],
) -> StoredResponse:
    """Run ``produce`` unless ``key`` already answered the same ``request`` (method, path,
    payload); then return that answer. The same key with a different request is 409
    ``idempotency-key-reused``. Without a key, nothing is stored (or fingerprinted)."""
    if key is None:
        return _fresh(status, await produce())
    fingerprint = request_fingerprint(*request)
    if not await repository.claim_idempotency_key(session, tenant_id, key, fingerprint, utcnow()):
        stored = await repository.idempotency_key(session, tenant_id, key)
        if stored is None or stored.response_status is None:
            # Not reachable while responses are stored in the claiming transaction.
            raise Conflict(
                "A request with this Idempotency-Key is still in progress; retry shortly.",
                code="idempotency-key-in-progress",
            )
        if stored.request_hash != fingerprint:
            raise IdempotencyKeyReused
        body = stored.response_body
        return StoredResponse(
            stored.response_status,
            json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
            _id_of(body),
            replayed=True,
        )
    answer = _fresh(status, await produce())
    await repository.store_idempotent_response(
        session, tenant_id, key, status, answer.content.decode()
    )
    return answer


def _fresh(status: int, result: BaseModel) -> StoredResponse:
    identifier = getattr(result, "id", None)
    return StoredResponse(
        status,
        result.model_dump_json().encode(),
        None if identifier is None else str(identifier),
        replayed=False,
    )


def _id_of(body: Any) -> str | None:
    identifier = body.get("id") if isinstance(body, dict) else None
    return None if identifier is None else str(identifier)


async def prune_idempotency_keys(session: AsyncSession, older_than: datetime) -> int:
    """Delete the keys (visible in this transaction's tenant scope) created before
    ``older_than``; refuses to cut into the 24-hour retention promise. Returns how many."""
    if older_than > utcnow() - MINIMUM_RETENTION:
        raise ValueError("idempotency keys are kept at least 24 hours")
    return await repository.delete_idempotency_keys_before(session, older_than)
