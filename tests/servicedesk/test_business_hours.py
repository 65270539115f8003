"""SLA due dates, table-driven: business hours, weekends, holidays, time zones (a DST change
included) and the pause while a ticket is pending. Pure computation, no I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from quartermaster.servicedesk.business_hours import (
    BusinessCalendar,
    CalendarError,
    parse_weekly_hours,
)
from quartermaster.servicedesk.models import SlaPolicy, Ticket
from quartermaster.servicedesk.service import sla

OFFICE = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
SPLIT = {day: ["08:00-12:00", "13:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
ALWAYS = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
H = 3600


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def cal(
    weekly: dict[str, list[str]] = OFFICE, zone: str = "UTC", holidays: tuple[str, ...] = ()
) -> BusinessCalendar:
    return BusinessCalendar.from_settings(zone, weekly, [date.fromisoformat(d) for d in holidays])


# 2026-12-07 is a Monday; 2026-12-05/06 a weekend.
ADD_CASES = [
    # (case, calendar, start, seconds of business time, due)
    ("inside hours", cal(), "2026-12-07T10:00", 2 * H, "2026-12-07T12:00"),
    ("exactly to closing", cal(), "2026-12-07T15:00", 2 * H, "2026-12-07T17:00"),
    ("over closing", cal(), "2026-12-07T16:00", 2 * H, "2026-12-08T10:00"),
    ("before opening", cal(), "2026-12-07T06:30", 1 * H, "2026-12-07T10:00"),
    ("after closing", cal(), "2026-12-07T19:00", 1 * H, "2026-12-08T10:00"),
    ("friday to monday", cal(), "2026-12-11T16:30", 1 * H, "2026-12-14T09:30"),
    ("created on saturday", cal(), "2026-12-12T11:00", 3 * H, "2026-12-14T12:00"),
    ("a full week", cal(), "2026-12-07T09:00", 40 * H, "2026-12-11T17:00"),
    ("lunch break", cal(SPLIT), "2026-12-07T11:00", 2 * H, "2026-12-07T14:00"),
    (
        "holiday skipped",
        cal(holidays=("2026-12-25",)),
        "2026-12-24T16:00",
        2 * H,
        "2026-12-28T10:00",
    ),
    (
        "two holidays and a weekend",
        cal(holidays=("2026-12-24", "2026-12-25")),
        "2026-12-23T16:00",
        2 * H,
        "2026-12-28T10:00",
    ),
    # Tokyo is UTC+9 all year: 09:00-17:00 local is 00:00-08:00 UTC.
    ("time zone ahead", cal(zone="Asia/Tokyo"), "2026-12-07T07:00", 2 * H, "2026-12-08T01:00"),
    # New York in December is UTC-5: 09:00-17:00 local is 14:00-22:00 UTC.
    (
        "time zone behind",
        cal(zone="America/New_York"),
        "2026-12-07T21:00",
        2 * H,
        "2026-12-08T15:00",
    ),
    # Berlin leaves summer time on Sunday 2026-10-25: Friday 9-17 is 07-15 UTC, Monday
    # 9-17 is 08-16 UTC.
    (
        "across the end of summer time",
        cal(zone="Europe/Berlin"),
        "2026-10-23T14:00",
        3 * H,
        "2026-10-26T10:00",
    ),
    # Berlin starts summer time on Sunday 2026-03-29 at 02:00 → 03:00: around the clock
    # that day has 23 hours, so 24 business hours from Saturday noon end at 13:00 local
    # on Sunday, which is 11:00 UTC.
    (
        "over a 23-hour day",
        cal(ALWAYS, zone="Europe/Berlin"),
        "2026-03-28T11:00",
        24 * H,
        "2026-03-29T11:00",
    ),
    ("zero seconds", cal(), "2026-12-12T11:00", 0, "2026-12-12T11:00"),
]


@pytest.mark.parametrize(
    ("calendar", "start", "seconds", "due"),
    [pytest.param(c, s, n, d, id=case) for case, c, s, n, d in ADD_CASES],
)
def test_due_dates_count_only_business_time(
    calendar: BusinessCalendar, start: str, seconds: int, due: str
) -> None:
    assert calendar.add(utc(start), seconds) == utc(due)


BETWEEN_CASES = [
    ("same day", cal(), "2026-12-07T10:00", "2026-12-07T12:30", int(2.5 * H)),
    ("overnight", cal(), "2026-12-07T16:00", "2026-12-08T10:00", 2 * H),
    ("a weekend counts nothing", cal(), "2026-12-12T00:00", "2026-12-14T00:00", 0),
    ("lunch excluded", cal(SPLIT), "2026-12-07T11:00", "2026-12-07T14:00", 2 * H),
    (
        "holiday excluded",
        cal(holidays=("2026-12-08",)),
        "2026-12-07T09:00",
        "2026-12-09T09:00",
        8 * H,
    ),
    ("backwards is nothing", cal(), "2026-12-08T10:00", "2026-12-07T10:00", 0),
]


@pytest.mark.parametrize(
    ("calendar", "start", "end", "seconds"),
    [pytest.param(c, s, e, n, id=case) for case, c, s, e, n in BETWEEN_CASES],
)
def test_business_time_between_two_instants(
    calendar: BusinessCalendar, start: str, end: str, seconds: int
) -> None:
    assert calendar.between(utc(start), utc(end)) == seconds


def test_add_and_between_agree() -> None:
    calendar = cal(SPLIT, zone="Europe/Berlin", holidays=("2026-12-24",))
    start = utc("2026-12-21T07:13")
    for minutes in (1, 59, 240, 481, 2000, 5000):
        due = calendar.add(start, minutes * 60)
        assert calendar.between(start, due) == minutes * 60


@pytest.mark.parametrize(
    ("weekly", "message"),
    [
        ({"mon": ["17:00-09:00"]}, "does not end after it starts"),
        ({"mon": ["9-17"]}, "not an interval"),
        ({"mon": ["09:00-12:00", "11:00-13:00"]}, "overlap"),
        ({"funday": ["09:00-17:00"]}, "unknown weekday"),
        ({"mon": []}, "no business hours"),
        ({"mon": ["09:00-24:30"]}, "ends after 24:00"),
    ],
)
def test_unusable_weekly_hours_are_refused(weekly: dict[str, list[str]], message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        parse_weekly_hours(weekly)


def test_a_calendar_without_room_within_three_years_raises() -> None:
    everything = tuple((date(2026, 12, 7) + timedelta(days=n)).isoformat() for n in range(1200))
    with pytest.raises(CalendarError):
        cal(holidays=everything).add(utc("2026-12-07T10:00"), H)


# The clocks of a ticket under a policy, and the pause while pending.


def _policy(weekly: dict[str, list[str]] = OFFICE, zone: str = "UTC") -> SlaPolicy:
    return SlaPolicy(
        id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        name="Standard",
        time_zone=zone,
        weekly_hours=weekly,
        holidays=[],
        targets={"normal": {"first_response_minutes": 120, "resolution_minutes": 480}},
        is_default=True,
        version=1,
    )


def _ticket(created: str, priority: str = "normal") -> Ticket:
    at = utc(created)
    return Ticket(
        priority=priority,
        created_at=at,
        resolution_started_at=at,
        response_paused_seconds=0,
        resolution_paused_seconds=0,
        first_responded_at=None,
        resolved_at=None,
        sla_paused_at=None,
    )


PAUSE_CASES = [
    # (case, created, paused, resumed, first response due, resolution due)
    (
        "no pause",
        "2026-12-07T09:00",
        None,
        None,
        "2026-12-07T11:00",
        "2026-12-07T17:00",
    ),
    (
        "an hour pending moves both by an hour",
        "2026-12-07T09:00",
        "2026-12-07T10:00",
        "2026-12-07T11:00",
        "2026-12-07T12:00",
        "2026-12-08T10:00",
    ),
    (
        "pending over night counts only business hours",
        "2026-12-07T09:00",
        "2026-12-07T16:00",
        "2026-12-08T10:00",
        "2026-12-07T13:00",
        "2026-12-08T11:00",
    ),
    (
        "pending over a weekend costs nothing outside business hours",
        "2026-12-11T09:00",
        "2026-12-11T17:00",
        "2026-12-14T09:00",
        "2026-12-11T11:00",
        "2026-12-11T17:00",
    ),
]


@pytest.mark.parametrize(
    ("created", "paused", "resumed", "first_due", "resolution_due"),
    [pytest.param(*case[1:], id=case[0]) for case in PAUSE_CASES],
)
def test_pending_holds_the_clocks_for_the_business_time_it_lasts(
    created: str, paused: str | None, resumed: str | None, first_due: str, resolution_due: str
) -> None:
    policy = _policy()
    ticket = _ticket(created)
    sla.apply_due_dates(ticket, policy)
    if paused is not None and resumed is not None:
        sla.pause(ticket, utc(paused))
        sla.resume(ticket, policy, utc(resumed))
    assert ticket.first_response_due_at == utc(first_due)
    assert ticket.resolution_due_at == utc(resolution_due)


def test_a_stopped_clock_is_not_extended_by_a_later_pause() -> None:
    policy = _policy()
    ticket = _ticket("2026-12-07T09:00")
    sla.apply_due_dates(ticket, policy)
    ticket.first_responded_at = utc("2026-12-07T09:30")
    sla.pause(ticket, utc("2026-12-07T10:00"))
    sla.resume(ticket, policy, utc("2026-12-07T12:00"))
    assert ticket.first_response_due_at == utc("2026-12-07T11:00")  # unchanged
    assert ticket.resolution_due_at == utc("2026-12-08T11:00")  # two hours later


def test_a_priority_without_targets_has_no_due_dates() -> None:
    ticket = _ticket("2026-12-07T09:00", priority="low")
    sla.apply_due_dates(ticket, _policy())
    assert (ticket.first_response_due_at, ticket.resolution_due_at) == (None, None)
