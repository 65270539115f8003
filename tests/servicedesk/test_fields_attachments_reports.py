"""Custom fields validated against the organization's definitions, attachments (sniffed
type, size limit, sanitised names), contacts, and the ticket report."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from quartermaster.api import create_app
from quartermaster.core.db import Database
from quartermaster.core.settings import Settings
from quartermaster.servicedesk.files import sanitize_file_name, sniff_content_type
from quartermaster.servicedesk.service.sla import mark_breaches
from tests.builders import nothing_written, problem, tenant_tables
from tests.catalog.conftest import ok
from tests.conftest import TestServices
from tests.identity.conftest import Account
from tests.servicedesk.conftest import Desk, owner_sql

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 20


class TestCustomFields:
    async def test_values_follow_the_definitions(self, desk: Desk) -> None:
        for body in (
            {"key": "serial", "label": "Serial number", "type": "text", "required": True},
            {"key": "hours", "label": "Hours of use", "type": "number"},
            {"key": "channel", "label": "Bought via", "type": "select", "options": ["shop", "web"]},
            {"key": "bought_on", "label": "Purchase date", "type": "date"},
        ):
            ok(await desk.post("/ticket-fields", body), 201)
        ticket = await desk.ticket(
            custom_fields={
                "serial": "SN-1",
                "hours": 12.5,
                "channel": "web",
                "bought_on": "2026-01-31",
            }
        )
        assert ticket["custom_fields"] == {
            "serial": "SN-1",
            "hours": 12.5,
            "channel": "web",
            "bought_on": "2026-01-31",
        }
        changed = ok(
            await desk.patch(
                f"/tickets/{ticket['id']}", {"custom_fields": {"hours": None, "channel": "shop"}}
            )
        )
        assert changed["custom_fields"] == {
            "serial": "SN-1",
            "channel": "shop",
            "bought_on": "2026-01-31",
        }

    @pytest.mark.parametrize(
        ("values", "field"),
        [
            ({}, "custom_fields.serial"),  # required
            ({"serial": "x", "colour": "red"}, "custom_fields.colour"),  # not defined
            ({"serial": 5}, "custom_fields.serial"),
            ({"serial": "x", "hours": "many"}, "custom_fields.hours"),
            ({"serial": "x", "hours": True}, "custom_fields.hours"),
            ({"serial": "x", "hours": 1e300}, "custom_fields.hours"),
            ({"serial": "x", "channel": "fax"}, "custom_fields.channel"),
            ({"serial": "x", "bought_on": "0001-01-01"}, "custom_fields.bought_on"),
            ({"serial": "x", "bought_on": "9999-12-31"}, "custom_fields.bought_on"),
            ({"serial": "x", "bought_on": "yesterday"}, "custom_fields.bought_on"),
            ({"serial": "nul\u0000byte"}, "custom_fields.serial"),
        ],
    )
    async def test_values_that_do_not_fit_are_422_naming_the_field(
        self, desk: Desk, values: dict[str, Any], field: str, services: TestServices
    ) -> None:
        for body in (
            {"key": "serial", "label": "Serial number", "type": "text", "required": True},
            {"key": "hours", "label": "Hours of use", "type": "number"},
            {"key": "channel", "label": "Bought via", "type": "select", "options": ["shop", "web"]},
            {"key": "bought_on", "label": "Purchase date", "type": "date"},
        ):
            ok(await desk.post("/ticket-fields", body), 201)
        async with nothing_written(services, desk.account.tenant_id, ("tickets",)):
            response = await desk.open(custom_fields=values)
        # A NUL is refused at the edge, like in every other string; the rest by the fields.
        nul = any("\u0000" in str(value) for value in values.values())
        problem(response, 422, "invalid-text" if nul else "invalid-fields")
        assert field in [e["field"] for e in response.json()["errors"]]

    async def test_definitions_are_checked_and_refusals_write_nothing(
        self, desk: Desk, services: TestServices
    ) -> None:
        async def fields() -> dict[str, list[dict[str, Any]]]:
            return await tenant_tables(services, desk.account.tenant_id, ("ticket_fields",))

        select = {"key": "kind", "label": "Kind", "type": "select"}
        problem(await desk.post("/ticket-fields", select), 422, "invalid-fields")
        text = {"key": "kind", "label": "Kind", "type": "text", "options": ["a"]}
        problem(await desk.post("/ticket-fields", text), 422, "invalid-fields")
        assert await fields() == {"ticket_fields": []}
        ok(await desk.post("/ticket-fields", {"key": "kind", "label": "Kind", "type": "text"}), 201)
        before = await fields()
        again = await desk.post("/ticket-fields", {"key": "kind", "label": "K", "type": "text"})
        problem(again, 409, "ticket-field-key-taken")
        bad_key = await desk.post("/ticket-fields", {"key": "Kind!", "label": "K", "type": "text"})
        assert problem(bad_key, 422, "validation-failed")["errors"][0]["field"] == "key"
        assert await fields() == before


@pytest.fixture
async def small_limit_app(settings: Settings, tmp_path: Path) -> AsyncIterator[FastAPI]:
    application = create_app(
        settings.model_copy(
            update={"servicedesk_files_dir": tmp_path, "servicedesk_max_attachment_bytes": 1000}
        )
    )
    async with application.router.lifespan_context(application):
        yield application


def _files(root: Path) -> list[str]:
    return [p.name for p in root.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\report.pdf", "report.pdf"),
        ("bell\x07\x00tab\tname.txt", "belltabname.txt"),
        (".hidden", "hidden"),
        ("", "attachment"),
        (None, "attachment"),
        ("<script>.html", "_script_.html"),
        ("a" * 300 + ".pdf", "a" * 196 + ".pdf"),
        ("Café Ünïcode.txt", "Café Ünïcode.txt"),
    ],
)
def test_file_names_are_sanitised(given: str | None, kept: str) -> None:
    assert sanitize_file_name(given) == kept


def test_content_types_come_from_the_bytes() -> None:
    assert sniff_content_type(PNG) == "image/png"
    assert sniff_content_type(b"%PDF-1.7\n") == "application/pdf"
    assert sniff_content_type("plain text, ünïcode".encode()) == "text/plain"
    assert sniff_content_type(b"\x00\x01\x02binary") == "application/octet-stream"
    assert sniff_content_type(b"") == "application/octet-stream"


class TestAttachments:
    async def test_type_is_sniffed_the_name_sanitised_and_the_size_limited(
        self, small_limit_app: FastAPI, owner: Account, tmp_path: Path
    ) -> None:
        async with AsyncClient(
            transport=ASGITransport(app=small_limit_app), base_url="http://test"
        ) as client:
            desk = Desk(client, owner)
            ticket = await desk.ticket()
            path = f"/api/v1/tickets/{ticket['id']}/attachments"
            response = await client.post(
                path,
                headers=owner.headers,
                files={"file": ("..\\..\\evil: name?.exe.png", PNG, "text/html")},
            )
            assert response.status_code == 201, response.text
            stored = response.json()
            assert stored["content_type"] == "image/png"  # not what the client claimed
            assert stored["file_name"] == "evil_ name_.exe.png"
            assert stored["size"] == len(PNG)
            download = await client.get(f"{path}/{stored['id']}", headers=owner.headers)
            assert download.content == PNG
            assert download.headers["x-content-type-options"] == "nosniff"
            assert download.headers["content-disposition"].startswith("attachment")
            assert _files(tmp_path) == [stored["id"]]  # named by id, nothing else

            too_big = await client.post(
                path, headers=owner.headers, files={"file": ("big.bin", b"x" * 1001)}
            )
            problem(too_big, 413, "payload-too-large")
            assert _files(tmp_path) == [stored["id"]]  # nothing of it kept

            note = await desk.comment(ticket["id"], "internal evidence", internal=True)
            on_note = await client.post(
                path,
                headers=owner.headers,
                files={"file": ("log.txt", b"plain text log\n")},
                data={"comment_id": note["id"]},
            )
            assert on_note.status_code == 201, on_note.text
            assert (on_note.json()["content_type"], on_note.json()["internal"]) == (
                "text/plain",
                True,
            )
            comments = ok(
                await client.get(f"/api/v1/tickets/{ticket['id']}/comments", headers=owner.headers)
            )["items"]
            assert [a["file_name"] for a in comments[0]["attachments"]] == ["log.txt"]


class TestContacts:
    async def test_contacts_are_listed_and_found_by_address(self, desk: Desk) -> None:
        await desk.ticket(requester={"email": "b@example.net"})
        await desk.ticket(requester={"email": "A@example.net", "name": "Ann"})
        listed = ok(await desk.get("/contacts"))["items"]
        assert [c["email"] for c in listed] == ["a@example.net", "b@example.net"]
        (ann,) = ok(await desk.get("/contacts", email="A@EXAMPLE.net"))["items"]
        assert ok(await desk.get(f"/contacts/{ann['id']}"))["name"] == "Ann"
        mine = await desk.list_tickets(requester_id=ann["id"])
        assert [t["requester"]["email"] for t in mine] == ["a@example.net"]


class TestReport:
    async def test_created_resolved_breaches_and_csat_per_day(
        self, desk: Desk, client: AsyncClient
    ) -> None:
        one, two = await desk.ticket(), await desk.ticket()
        await desk.comment(one["id"], "On it")
        await desk.moved(one["id"], "resolved")
        (survey,) = await desk.items(f"/tickets/{one['id']}/csat")
        ok(
            await client.post(
                "/api/v1/csat/" + survey["url"].rsplit("/csat/", 1)[1], json={"score": 4}
            )
        )
        now = datetime.now(UTC)
        report = ok(
            await desk.get(
                "/reports/tickets",
                interval="day",
                tz="Pacific/Kiritimati",  # UTC+14: "today" there may be tomorrow in UTC
                **{
                    "from": (now - timedelta(days=2)).isoformat(),
                    "to": (now + timedelta(minutes=1)).isoformat(),
                },
            )
        )
        assert len(report["buckets"]) == 3
        last = report["buckets"][-1]
        assert (last["created"], last["resolved"], last["csat_responses"]) == (2, 1, 1)
        assert last["csat_average"] == "4.00"
        assert last["median_first_response_seconds"] is not None
        assert last["start"].endswith("+14:00")
        assert sum(b["created"] for b in report["buckets"]) == 2
        assert two["id"]

    async def test_each_figure_counts_in_the_period_of_its_own_moment(
        self, desk: Desk, client: AsyncClient, services: TestServices, database: Database
    ) -> None:
        """Created by creation day; the median first response by the day of the answer
        (a ticket that came in at 23:30 and was answered after midnight counts for the
        next day, so a day's figure is final once the day is over); resolved and the
        median resolution time (created to resolved) by resolution day; a breach by the
        day it was marked; ratings by the day they were given. Three tickets per median,
        so it is neither the mean nor an end."""
        scores = {"a": 5, "b": 4, "c": 2}
        tickets = {name: await desk.ticket() for name in ("a", "b", "c", "late", "night")}
        for name, score in scores.items():
            await desk.moved(tickets[name]["id"], "resolved")
            (survey,) = await desk.items(f"/tickets/{tickets[name]['id']}/csat")
            token = survey["url"].rsplit("/csat/", 1)[1]
            ok(await client.post(f"/api/v1/csat/{token}", json={"score": score}))
        day = datetime(2026, 3, 10, tzinfo=UTC)  # and the two days after it
        # name: (created, first response after, resolution after, rated at)
        times = {
            "a": (day + timedelta(hours=8), 600, 86_400, day + timedelta(days=1, hours=9)),
            "b": (day + timedelta(hours=9), 1_800, 93_600, day + timedelta(days=1, hours=12)),
            "c": (day + timedelta(hours=21), 7_200, 88_200, day + timedelta(days=2, hours=9)),
        }
        for name, (created, response, resolution, rated) in times.items():
            ticket_id = uuid.UUID(tickets[name]["id"])
            await owner_sql(
                services,
                "UPDATE tickets SET created_at = $2::timestamptz, resolution_started_at = $2, "
                "first_responded_at = $2 + $3::interval, resolved_at = $2 + $4::interval "
                "WHERE id = $1",
                ticket_id,
                created,
                timedelta(seconds=response),
                timedelta(seconds=resolution),
            )
            await owner_sql(
                services,
                "UPDATE csat_surveys SET answered_at = $2 WHERE ticket_id = $1",
                ticket_id,
                rated,
            )
        # Unanswered, its first response due at 16:00: the check at 03:00 the next day
        # marks it.
        await owner_sql(
            services,
            "UPDATE tickets SET created_at = $2::timestamptz, resolution_started_at = $2, "
            "first_response_due_at = $2 + interval '4 hours' WHERE id = $1",
            uuid.UUID(tickets["late"]["id"]),
            day + timedelta(hours=12),
        )
        # Came in at 23:30, answered an hour later: created on the first day, its first
        # response on the second.
        await owner_sql(
            services,
            "UPDATE tickets SET created_at = $2::timestamptz, resolution_started_at = $2, "
            "first_responded_at = $2 + interval '1 hour' WHERE id = $1",
            uuid.UUID(tickets["night"]["id"]),
            day + timedelta(hours=23, minutes=30),
        )
        tenant = uuid.UUID(desk.account.tenant_id)
        async with database.transaction(tenant) as session:
            assert await mark_breaches(session, tenant, day + timedelta(days=1, hours=3)) == 1

        report = ok(
            await desk.get(
                "/reports/tickets",
                interval="day",
                **{"from": day.isoformat(), "to": (day + timedelta(days=3)).isoformat()},
            )
        )
        figures = [
            (
                datetime.fromisoformat(b["start"]),
                b["created"],
                b["first_responses"],
                b["median_first_response_seconds"],
                b["resolved"],
                b["median_resolution_seconds"],
                b["breaches"],
                b["csat_responses"],
                b["csat_average"],
            )
            for b in report["buckets"]
        ]
        assert figures == [
            (day, 5, 3, 1_800, 0, None, 0, 0, None),
            (day + timedelta(days=1), 0, 1, 3_600, 3, 88_200, 1, 2, "4.50"),
            (day + timedelta(days=2), 0, 0, None, 0, None, 0, 1, "2.00"),
        ]

    async def test_a_ticket_is_counted_on_the_day_of_the_report_time_zone(
        self, desk: Desk, services: TestServices
    ) -> None:
        """23:30 UTC on 12 March is 00:30 on the 13th in Berlin (UTC+1 in winter)."""
        ticket = await desk.ticket()
        await owner_sql(
            services,
            "UPDATE tickets SET created_at = $2 WHERE id = $1",
            uuid.UUID(ticket["id"]),
            datetime(2026, 3, 12, 23, 30, tzinfo=UTC),
        )
        berlin = ZoneInfo("Europe/Berlin")
        for tz, zone in (("UTC", UTC), ("Europe/Berlin", berlin)):
            report = ok(
                await desk.get(
                    "/reports/tickets",
                    interval="day",
                    tz=tz,
                    **{
                        "from": datetime(2026, 3, 12, tzinfo=zone).isoformat(),
                        "to": datetime(2026, 3, 14, tzinfo=zone).isoformat(),
                    },
                )
            )
            created = [(b["start"], b["created"]) for b in report["buckets"]]
            if tz == "UTC":
                assert created == [("2026-03-12T00:00:00Z", 1), ("2026-03-13T00:00:00Z", 0)]
            else:
                assert created == [
                    ("2026-03-12T00:00:00+01:00", 0),
                    ("2026-03-13T00:00:00+01:00", 1),
                ]

    async def test_bad_report_parameters_are_422(self, desk: Desk) -> None:
        # Values of the right type that make no report are the report's own refusal.
        for params, code in (
            ({"tz": "Nowhere/City"}, "invalid-report-query"),
            ({"interval": "hour"}, "validation-failed"),
            (
                {"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
                "invalid-report-query",
            ),
            (
                {"from": "2000-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
                "invalid-report-query",
            ),
            ({"from": "0001-01-01T00:00:00Z", "to": "9999-12-31T00:00:00Z"}, "validation-failed"),
        ):
            problem(await desk.get("/reports/tickets", **params), 422, code)
