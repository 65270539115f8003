"""Business-hours arithmetic for SLA clocks (pure Python, no I/O).

A calendar is a time zone, weekly hours (per weekday, local intervals such as
``09:00-17:00``; ``24:00`` ends a day) and holidays (local dates without business hours).
Intervals are turned into UTC instants per local day, so a DST change is counted in real
elapsed seconds: on the day clocks go forward, ``00:00-24:00`` lasts 23 hours. A local
time that does not exist (inside the spring-forward gap) resolves as ``zoneinfo`` does
with ``fold=0`` (the offset before the change); an interval that collapses is skipped.

:meth:`BusinessCalendar.add` walks at most :data:`MAX_DAYS` local days, so a calendar
whose holidays cover every business day of the next years cannot loop forever.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from quartermaster.core.periods import PeriodError, report_zone

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_DAYS = 3 * 366
_INTERVAL = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")


class CalendarError(ValueError):
    """A calendar that cannot be used (bad interval, unknown zone, no business hours)."""


def time_zone(name: str) -> tzinfo:
    """The IANA zone ``name`` (UTC without a time zone database)."""
    try:
        return report_zone(name)
    except PeriodError as exc:
        raise CalendarError(exc.message) from exc


def parse_interval(text: str) -> tuple[int, int]:
    """``"09:00-17:30"`` → minutes since local midnight (540, 1050)."""
    match = _INTERVAL.match(text)
    if match is None:
        raise CalendarError(f"'{text}' is not an interval like 09:00-17:00")
    start = int(match[1]) * 60 + int(match[2])
    end = int(match[3]) * 60 + int(match[4])
    if end > 24 * 60:
        raise CalendarError(f"'{text}' ends after 24:00")
    if end <= start:
        raise CalendarError(f"'{text}' does not end after it starts")
    return start, end


def parse_weekly_hours(
    weekly: Mapping[str, Sequence[str]],
) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Seven tuples (Monday first) of sorted, non-overlapping minute intervals."""
    unknown = set(weekly) - set(WEEKDAYS)
    if unknown:
        raise CalendarError(f"unknown weekday(s) {sorted(unknown)}; use {', '.join(WEEKDAYS)}")
    days: list[tuple[tuple[int, int], ...]] = []
    for name in WEEKDAYS:
        intervals = sorted(parse_interval(value) for value in weekly.get(name, ()))
        for (_, end), (start, _) in itertools.pairwise(intervals):
            if start < end:
                raise CalendarError(f"the intervals of {name} overlap")
        days.append(tuple(intervals))
    if not any(days):
        raise CalendarError("the calendar has no business hours in any weekday")
    return tuple(days)


def _at(day: date, minutes: int, zone: tzinfo) -> datetime:
    if minutes >= 24 * 60:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)
    return local.astimezone(UTC)


@dataclass(frozen=True)
class BusinessCalendar:
    zone: tzinfo
    weekly: tuple[tuple[tuple[int, int], ...], ...]
    holidays: frozenset[date]

    @classmethod
    def from_settings(
        cls, time_zone_name: str, weekly: Mapping[str, Sequence[str]], holidays: Sequence[date]
    ) -> BusinessCalendar:
        return cls(time_zone(time_zone_name), parse_weekly_hours(weekly), frozenset(holidays))

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The business intervals of one local day, as UTC instants."""
        if day in self.holidays:
            return []
        spans = []
        for start, end in self.weekly[day.weekday()]:
            begin, finish = _at(day, start, self.zone), _at(day, end, self.zone)
            if begin < finish:
                spans.append((begin, finish))
        return spans

    def _spans_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Business intervals that end after ``moment``, in order, clipped to start at it."""
        first = moment.astimezone(self.zone).date() - timedelta(days=1)
        for offset in range(MAX_DAYS + 1):
            try:
                day = first + timedelta(days=offset)
            except OverflowError:
                return
            for begin, finish in self.intervals(day):
                if finish > moment:
                    yield max(begin, moment), finish

    def add(self, start: datetime, seconds: int) -> datetime:
        """The instant ``seconds`` of business time after ``start``. Raises CalendarError
        when the calendar has no room for them within MAX_DAYS."""
        remaining = timedelta(seconds=seconds)
        if remaining <= timedelta(0):
            return start.astimezone(UTC)
        for begin, finish in self._spans_from(start.astimezone(UTC)):
            available = finish - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise CalendarError(
            f"the calendar has fewer than {seconds} seconds of business time in {MAX_DAYS} days"
        )

    def between(self, start: datetime, end: datetime) -> int:
        """Whole seconds of business time in [start, end)."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return 0
        total = timedelta(0)
        for begin, finish in self._spans_from(start):
            if begin >= end:
                break
            total += min(finish, end) - begin
        return int(total.total_seconds())
