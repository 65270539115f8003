"""Factories for service desk tests: accounts and agents through the identity API, teams,
SLA policies and tickets through the service desk API, and looks at the tenant's rows
as the application role sees them."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from httpx import AsyncClient, Response
from sqlalchemy.engine import make_url

from tests.builders import API, Inventory, new_uuid, ok, outbox_events, tenant_rows
from tests.conftest import TestServices, plain
from tests.identity.conftest import Account

# What a service desk write may change: a refused one leaves all of them as they were.
DESK_TABLES = (
    "tickets",
    "ticket_comments",
    "ticket_attachments",
    "ticket_links",
    "ticket_reservations",
    "teams",
    "team_members",
    "sla_policies",
    "ticket_fields",
    "agent_statuses",
    "contacts",
    "csat_surveys",
    "email_messages",
    "outbox_events",
)

__all__ = ["ALWAYS", "API", "Desk", "events", "new_uuid", "ok", "owner_sql", "tenant_rows"]

WEEKDAYS_9_TO_5 = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
# Business hours around the clock: due dates are the creation time plus the target.
ALWAYS = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


class Desk(Inventory):
    """Service desk calls as one account (catalog and inventory calls too)."""

    def __init__(self, client: AsyncClient, account: Account) -> None:
        super().__init__(client, account)
        self._tickets = 0

    def as_(self, account: Account) -> Desk:
        return Desk(self.client, account)

    async def team(
        self, name: str = "Support", *, members: list[str] | None = None, **fields: Any
    ) -> dict[str, Any]:
        body = {"name": name, "member_ids": members or [], **fields}
        return ok(await self.post("/teams", body), 201)

    async def policy(self, name: str = "Standard", **fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": name,
            "time_zone": "UTC",
            "weekly_hours": WEEKDAYS_9_TO_5,
            "targets": {
                "normal": {"first_response_minutes": 60, "resolution_minutes": 480},
                "urgent": {"first_response_minutes": 15, "resolution_minutes": 120},
            },
            **fields,
        }
        return ok(await self.post("/sla-policies", body), 201)

    async def open(self, **fields: Any) -> Response:
        self._tickets += 1
        body = {
            "subject": f"Problem {self._tickets}",
            "description": "It **broke**.",
            "requester": {"email": f"customer{self._tickets}@example.net", "name": "Cus Tomer"},
            **fields,
        }
        return await self.post("/tickets", body)

    async def ticket(self, **fields: Any) -> dict[str, Any]:
        return ok(await self.open(**fields), 201)

    async def transition(self, ticket_id: str, to: str, **fields: Any) -> Response:
        return await self.post(f"/tickets/{ticket_id}/transitions", {"to": to, **fields})

    async def moved(self, ticket_id: str, to: str, **fields: Any) -> dict[str, Any]:
        return ok(await self.transition(ticket_id, to, **fields))

    async def comment(self, ticket_id: str, body: str, *, internal: bool = False) -> dict[str, Any]:
        payload = {"body": body, "internal": internal}
        return ok(await self.post(f"/tickets/{ticket_id}/comments", payload), 201)

    async def get_ticket(self, ticket_id: str) -> dict[str, Any]:
        return ok(await self.get(f"/tickets/{ticket_id}"))

    async def items(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a list (``{items, next_cursor}``) that fits one page of 500."""
        body = ok(await self.get(path, limit=500, **params))
        assert body["next_cursor"] is None
        items: list[dict[str, Any]] = body["items"]
        return items

    async def paged(self, path: str, limit: int = 1, **query: Any) -> list[dict[str, Any]]:
        """Every item of a list (with the ``query`` parameters), read ``limit`` at a time
        by following ``next_cursor``."""
        seen: list[dict[str, Any]] = []
        params: dict[str, Any] = {**query, "limit": limit}
        while True:
            page = ok(await self.get(path, **params))
            assert len(page["items"]) <= limit
            # A cursor that leads back to items already read would loop for ever.
            keys = [item.get("id", item.get("user_id")) for item in seen]
            repeated = [i for i in page["items"] if i.get("id", i.get("user_id")) in keys]
            assert not repeated, f"read again: {repeated}"
            seen += page["items"]
            if page["next_cursor"] is None:
                return seen
            assert len(page["items"]) == limit
            params["cursor"] = page["next_cursor"]

    async def list_tickets(self, **params: Any) -> list[dict[str, Any]]:
        body = ok(await self.get("/tickets", limit=500, **params))
        assert body["next_cursor"] is None
        items: list[dict[str, Any]] = body["items"]
        return items


@pytest.fixture
def desk(client: AsyncClient, owner: Account) -> Desk:
    return Desk(client, owner)


async def events(services: TestServices, tenant_id: str) -> list[tuple[str, dict[str, Any]]]:
    return await outbox_events(services, tenant_id)


async def owner_sql(services: TestServices, query: str, *args: Any) -> None:
    """Move a ticket's times into the past, as time passing would (test setup only; a
    superuser, the one role row-level security does not filter)."""
    url = make_url(services.admin_url).set(database=make_url(services.owner_url).database)
    connection = await asyncpg.connect(plain(url.render_as_string(hide_password=False)))
    try:
        await connection.execute(query, *args)
    finally:
        await connection.close()
