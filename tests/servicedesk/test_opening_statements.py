"""What opening a ticket costs the database: the statements of one POST /tickets, as the
driver sends them (SQLAlchemy's and the plain-SQL ones), so a change that adds a round
trip to the desk's hot path is seen here rather than in a benchmark."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import event

from tests.identity.conftest import Identity
from tests.servicedesk.conftest import Desk, ok


@asynccontextmanager
async def statements_sent(app: FastAPI) -> AsyncIterator[list[str]]:
    """Every statement the app's connections send meanwhile: through SQLAlchemy (cursor
    events) and straight to asyncpg (its query loggers, which it calls with
    ``loop.call_soon``: the block's end waits for the callbacks scheduled before it)."""
    sent: list[str] = []
    engine = app.state.database.engine.sync_engine
    logged: set[int] = set()

    def through_sqlalchemy(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        sent.append(statement)

    def straight(record: Any) -> None:
        sent.append(record.query)

    def on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        driver = dbapi_connection.driver_connection
        if id(driver) not in logged:
            logged.add(id(driver))
            driver.add_query_logger(straight)

    event.listen(engine, "before_cursor_execute", through_sqlalchemy)
    event.listen(engine.pool, "checkout", on_checkout)
    try:
        yield sent
        delivered = asyncio.Event()
        asyncio.get_running_loop().call_soon(delivered.set)  # after the pending loggers
        await delivered.wait()
    finally:
        event.remove(engine, "before_cursor_execute", through_sqlalchemy)
        event.remove(engine.pool, "checkout", on_checkout)


def _verb(statement: str) -> str:
    flat = " ".join(statement.split())
    return flat.split(" AS (")[0] if flat.startswith("WITH") else " ".join(flat.split()[:3])


async def test_a_round_robin_ticket_for_a_known_requester_takes_eleven_statements(
    app: FastAPI, desk: Desk, identity: Identity
) -> None:
    agents = [await identity.member(desk.account, "staff") for _ in range(2)]
    policy = await desk.policy()
    team = await desk.team(
        members=[a.user_id for a in agents],
        assignment_strategy="round_robin",
        sla_policy_id=policy["id"],
    )
    body = {
        "subject": "Pump leaks",
        "description": "Water **everywhere**.",
        "team_id": team["id"],
        "requester": {"email": "known@example.net"},
        "tags": ["pump"],
    }
    ok(await desk.post("/tickets", body), 201)  # the requester is known from now on
    async with statements_sent(app) as sent:
        ticket = ok(await desk.post("/tickets", {**body, "subject": "Pump leaks again"}), 201)
    assert ticket["assignee_id"] is not None
    assert ticket["sla"]["first_response_due_at"] is not None
    verbs = [_verb(statement) for statement in sent]
    # BEGIN; the member's scope; one read (team, policy, fields, requester); the agents'
    # ids from identity; round robin;
    # number and row; the event; the search document; the acknowledgement and its
    # Message-ID; COMMIT.
    assert len(sent) == 11, "\n".join(verbs)
    assert [v for v in verbs if v.upper().startswith(("BEGIN", "COMMIT"))] == [
        "BEGIN;",
        "COMMIT;",
    ]
