"""Calendar periods for reports (day, week from Monday, month) in an IANA time zone.

Reports bucket times with ``date_trunc(unit, t AT TIME ZONE tz)`` over a
``generate_series`` of the periods computed here: the first period contains ``from``,
periods follow while they start before ``to``. Periods are naive wall-clock starts in the
zone (what ``date_trunc`` of a local time gives).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

MAX_PERIODS = 366
INTERVALS = ("day", "week", "month")


class PeriodError(ValueError):
    """A report range or zone that cannot be used; ``field`` names the query parameter and
    ``kind`` is a stable machine-readable reason."""

    def __init__(self, field: str, message: str, kind: str) -> None:
        super().__init__(message)
        self.field, self.message, self.kind = field, message, kind


@cache
def _time_zones() -> frozenset[str]:
    # "localtime" is the host's zone, a file name rather than an IANA name: PostgreSQL
    # does not know it.
    return frozenset(available_timezones() - {"localtime"})


def report_zone(name: str) -> tzinfo:
    """The IANA zone ``name``; UTC needs no time zone database (slim containers may have
    none)."""
    if name == "UTC":
        return UTC
    if name not in _time_zones():
        raise PeriodError(
            "tz", f"'{name}' is not an IANA time zone name (e.g. Europe/Berlin).", "time_zone"
        )
    return ZoneInfo(name)


def period_start(moment: datetime, interval: str) -> datetime:
    """The naive wall-clock start of the period containing ``moment`` (naive)."""
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def next_period(start: datetime, interval: str) -> datetime | None:
    """The start of the period after ``start``; None past the end of year 9999 (the
    period containing a time at the end of 9999 is the last one there is)."""
    try:
        if interval == "day":
            return start + timedelta(days=1)
        if interval == "week":
            return start + timedelta(days=7)
        year, month = divmod(start.month, 12)
        return start.replace(year=start.year + year, month=month + 1)
    except (OverflowError, ValueError):
        return None


def _local(moment: datetime, zone: tzinfo, field: str) -> datetime:
    """``moment``'s naive wall-clock time in ``zone``; PeriodError when that falls past
    9999-12-31 (a time at the very end of 9999 in UTC, in a zone ahead of UTC)."""
    try:
        return moment.astimezone(zone).replace(tzinfo=None)
    except OverflowError as exc:
        raise PeriodError(
            field, "Falls after the year 9999 in the report's time zone.", "out_of_range"
        ) from exc


def period_range(
    start: datetime, end: datetime, interval: str, zone: tzinfo
) -> tuple[datetime, datetime]:
    """(first, last) naive wall-clock period starts in ``zone`` covering [start, end);
    PeriodError when ``end`` is not after ``start`` or the range spans more than
    MAX_PERIODS periods."""
    if end <= start:
        raise PeriodError("to", "Must be later than from.", "range_empty")
    local_end = _local(end, zone, "to")
    first = last = period_start(_local(start, zone, "from"), interval)
    count = 1
    while (following := next_period(last, interval)) is not None and following < local_end:
        last = following
        count += 1
        if count > MAX_PERIODS:
            raise PeriodError(
                "to",
                f"At most {MAX_PERIODS} periods per report; from and to span more "
                f"{interval}s. Use a longer interval or a shorter range.",
                "too_many_periods",
            )
    return first, last
