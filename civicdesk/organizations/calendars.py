"""Working-calendar arithmetic: public holidays, opening hours, business time.

Finnish public holidays (and the eves that Finnish offices keep closed) come from the
`holidays` package, so nobody types Easter dates into a table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib

from civicdesk.organizations.models import CalendarException, OpeningHours, WorkingCalendar

# Days that Finnish employers customarily keep closed although they are not public holidays.
FINNISH_EVES = ("Juhannusaatto", "Jouluaatto")


@lru_cache(maxsize=64)
def public_holidays(country: str, year: int, *, with_eves: bool) -> dict[dt.date, str]:
    """Public holidays of `country` in `year`, as date → name.

    The Finnish calendar includes Midsummer Eve and Christmas Eve (offices are closed);
    `with_eves=False` drops them for a calendar that works on those days.
    """
    if not country:
        return {}
    calendar = holidays_lib.country_holidays(country, years=year, language="fi" if country == "FI" else None)
    result = dict(calendar.items())
    if not with_eves:
        result = {day: name for day, name in result.items() if not any(eve in name for eve in FINNISH_EVES)}
    return result


@dataclass(frozen=True)
class DayHours:
    opens: dt.time
    closes: dt.time


@dataclass
class CalendarSnapshot:
    """A calendar loaded once (hours and exceptions) so that arithmetic needs no more queries."""

    timezone: ZoneInfo
    country: str
    with_eves: bool
    weekly: dict[int, list[DayHours]]
    exceptions: dict[dt.date, list[DayHours]]

    @classmethod
    def load(cls, calendar: WorkingCalendar) -> CalendarSnapshot:
        weekly: dict[int, list[DayHours]] = {}
        for row in OpeningHours.objects.filter(calendar=calendar):
            weekly.setdefault(row.weekday, []).append(DayHours(row.opens, row.closes))
        exceptions: dict[dt.date, list[DayHours]] = {}
        for exc in CalendarException.objects.filter(calendar=calendar):
            exceptions[exc.date] = [DayHours(exc.opens, exc.closes)] if exc.opens and exc.closes else []
        return cls(
            timezone=ZoneInfo(calendar.organization.timezone),
            country=calendar.holiday_country,
            with_eves=calendar.observe_eves,
            weekly=weekly,
            exceptions=exceptions,
        )

    def hours_on(self, day: dt.date) -> list[DayHours]:
        if day in self.exceptions:
            return self.exceptions[day]
        if day in public_holidays(self.country, day.year, with_eves=self.with_eves):
            return []
        return sorted(self.weekly.get(day.weekday(), []), key=lambda h: h.opens)

    def is_open_at(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(self.timezone)
        return any(h.opens <= local.time() < h.closes for h in self.hours_on(local.date()))

    def _intervals(self, start: dt.datetime, end: dt.datetime) -> Iterable[tuple[dt.datetime, dt.datetime]]:
        day = start.astimezone(self.timezone).date()
        last = end.astimezone(self.timezone).date()
        while day <= last:
            for hours in self.hours_on(day):
                yield self._utc(day, hours.opens), self._utc(day, hours.closes)
            day += dt.timedelta(days=1)

    def _utc(self, day: dt.date, time: dt.time) -> dt.datetime:
        # Arithmetic between datetimes sharing a ZoneInfo is wall-clock arithmetic, which is an
        # hour off on DST days; in UTC a timedelta is elapsed time.
        return dt.datetime.combine(day, time, tzinfo=self.timezone).astimezone(dt.UTC)

    def business_seconds_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Open time between two moments, in seconds (0 if end is before start)."""
        if end <= start:
            return 0.0
        total = 0.0
        start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
        for opens, closes in self._intervals(start, end):
            lo, hi = max(opens, start), min(closes, end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        return total

    def add_business_seconds(self, start: dt.datetime, seconds: float, *, max_days: int = 730) -> dt.datetime:
        """The moment when `seconds` of open time have passed after `start`."""
        remaining = seconds
        start = start.astimezone(dt.UTC)
        day = start.astimezone(self.timezone).date()
        for _ in range(max_days):
            for hours in self.hours_on(day):
                opens, closes = self._utc(day, hours.opens), self._utc(day, hours.closes)
                lo = max(opens, start)
                if closes <= lo:
                    continue
                available = (closes - lo).total_seconds()
                if available >= remaining:
                    return (lo + dt.timedelta(seconds=remaining)).astimezone(self.timezone)
                remaining -= available
            day += dt.timedelta(days=1)
        raise ValueError("calendar has no open time within the horizon")

    def next_opening(self, moment: dt.datetime, *, max_days: int = 60) -> dt.datetime | None:
        if self.is_open_at(moment):
            return moment
        day = moment.astimezone(self.timezone).date()
        for _ in range(max_days):
            for hours in self.hours_on(day):
                opens = dt.datetime.combine(day, hours.opens, tzinfo=self.timezone)
                if opens >= moment:
                    return opens
            day += dt.timedelta(days=1)
        return None
