"""The service desk's configuration and conversation lists are pages like every list:
``{items, next_cursor}``, read with ``?limit=&cursor=`` in a stable keyset order; a cursor
the list did not issue is a 400."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tests.builders import problem
from tests.catalog.conftest import ok
from tests.identity.conftest import Identity
from tests.servicedesk.conftest import Desk

# A list's path after making three of its items (and what the items hold, in list order,
# when the test knows it).
Setup = Callable[[Desk, Identity], Awaitable[tuple[str, list[str] | None]]]


async def _teams(desk: Desk, identity: Identity) -> tuple[str, list[str] | None]:
    for name in ("Bravo", "alpha", "Charlie"):
        await desk.team(name)
    return "/teams", ["alpha", "Bravo", "Charlie"]


async def _agents(desk: Desk, identity: Identity) -> tuple[str, list[str] | None]:
    # The same name twice: the id breaks the tie.
    for _ in range(2):
        await identity.member(desk.account, "staff")
    return "/agents", None


async def _policies(desk: Desk, identity: Identity) -> tuple[str, list[str] | None]:
    for name in ("Gold", "bronze", "Silver"):
        await desk.policy(name)
    return "/sla-policies", ["bronze", "Gold", "Silver"]


async def _fields(desk: Desk, identity: Identity) -> tuple[str, list[str] | None]:
    for key in ("serial", "asset", "model"):
        body = {"key": key, "label": key.title(), "type": "text"}
        ok(await desk.post("/ticket-fields", body), 201)
    return "/ticket-fields", ["asset", "model", "serial"]


async def _comments(desk: Desk, identity: Identity) -> tuple[str, list[str] | None]:
    ticket = await desk.ticket()
    for body in ("first", "second", "third"):
        await desk.comment(ticket["id"], body)
    return f"/tickets/{ticket['id']}/comments", ["first", "second", "third"]


async def _attachments(desk: Desk, identity: Identity) -> tuple[str, list[str] | None]:
    ticket = await desk.ticket()
    for name in ("c.txt", "a.txt", "b.txt"):
        response = await desk.client.post(
            f"/api/v1/tickets/{ticket['id']}/attachments",
            headers=desk.headers,
            files={"file": (name, b"hello")},
        )
        assert response.status_code == 201, response.text
    return f"/tickets/{ticket['id']}/attachments", ["c.txt", "a.txt", "b.txt"]


async def _csat(desk: Desk, identity: Identity) -> tuple[str, list[str] | None]:
    ticket = await desk.ticket()
    await desk.moved(ticket["id"], "resolved")
    for _ in range(2):
        await desk.moved(ticket["id"], "open")
        await desk.moved(ticket["id"], "resolved")
    return f"/tickets/{ticket['id']}/csat", None


LISTS: dict[str, Setup] = {
    "teams": _teams,
    "agents": _agents,
    "sla-policies": _policies,
    "ticket-fields": _fields,
    "comments": _comments,
    "attachments": _attachments,
    "csat": _csat,
}
SHOWN = {"teams": "name", "sla-policies": "name", "ticket-fields": "key"}
SHOWN |= {"comments": "body", "attachments": "file_name"}


def _id(item: dict[str, object]) -> object:
    return item.get("id", item.get("user_id"))


@pytest.mark.parametrize("which", list(LISTS))
class TestPages:
    async def test_paging_one_at_a_time_reads_every_item_once_in_order(
        self, which: str, desk: Desk, identity: Identity
    ) -> None:
        path, expected = await LISTS[which](desk, identity)
        whole = await desk.items(path)
        one_by_one = await desk.paged(path, limit=1)
        assert [_id(i) for i in one_by_one] == [_id(i) for i in whole]
        assert len({_id(i) for i in whole}) == len(whole) >= 3
        if expected is not None:
            shown = [i[SHOWN[which]] for i in whole]
            assert [s for s in shown if s in expected] == expected
        if which in ("comments", "csat", "attachments"):
            stamps = [(i["created_at"], i["id"]) for i in whole]
            assert stamps == sorted(stamps)

    async def test_a_forged_or_foreign_cursor_is_400(
        self, which: str, desk: Desk, identity: Identity
    ) -> None:
        path, _ = await LISTS[which](desk, identity)
        page = ok(await desk.get(path, limit=1))
        assert page["next_cursor"] is not None
        encoded, signature = page["next_cursor"].split(".")
        forged = encoded + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
        # A real cursor of another list.
        other = "/teams" if which != "teams" else "/sla-policies"
        for name in ("Yankee", "Zulu"):
            await (desk.team(name) if which != "teams" else desk.policy(name))
        foreign = ok(await desk.get(other, limit=1))
        for cursor in ("garbage", "W10", forged, foreign["next_cursor"]):
            assert cursor is not None
            problem(await desk.get(path, cursor=cursor), 400, "invalid-cursor")
