"""Working calendars: Finnish public holidays, opening hours, exceptions and business time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from civicdesk.organizations.calendars import CalendarSnapshot, public_holidays
from civicdesk.organizations.models import CalendarException, WorkingCalendar

HELSINKI = ZoneInfo("Europe/Helsinki")
HOUR = 3600


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A moment given in Helsinki wall-clock time."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=HELSINKI)


@pytest.fixture
def calendar(city) -> WorkingCalendar:
    """The city's office calendar: Monday to Friday 8–16, Finnish holidays and eves closed."""
    calendar = city.streets.calendar
    assert calendar is not None
    return calendar


@pytest.fixture
def snapshot(calendar) -> CalendarSnapshot:
    return CalendarSnapshot.load(calendar)


# --- public holidays ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (dt.date(2026, 1, 1), "Uudenvuodenpäivä"),
        (dt.date(2026, 1, 6), "Loppiainen"),
        (dt.date(2026, 4, 3), "Pitkäperjantai"),
        (dt.date(2026, 4, 6), "Toinen pääsiäispäivä"),
        (dt.date(2026, 5, 1), "Vappu"),
        (dt.date(2026, 5, 14), "Helatorstai"),
        (dt.date(2026, 6, 19), "Juhannusaatto"),
        (dt.date(2026, 6, 20), "Juhannuspäivä"),
        (dt.date(2026, 10, 31), "Pyhäinpäivä"),
        (dt.date(2026, 12, 6), "Itsenäisyyspäivä"),
        (dt.date(2026, 12, 24), "Jouluaatto"),
        (dt.date(2026, 12, 25), "Joulupäivä"),
        (dt.date(2026, 12, 26), "Tapaninpäivä"),
    ],
)
def test_finnish_public_holidays_2026(day, name):
    assert public_holidays("FI", 2026, with_eves=True)[day] == name


def test_moving_holidays_follow_easter_in_another_year():
    holidays_2027 = public_holidays("FI", 2027, with_eves=True)

    assert holidays_2027[dt.date(2027, 3, 26)] == "Pitkäperjantai"
    assert holidays_2027[dt.date(2027, 3, 29)] == "Toinen pääsiäispäivä"
    assert holidays_2027[dt.date(2027, 5, 6)] == "Helatorstai"
    assert holidays_2027[dt.date(2027, 6, 25)] == "Juhannusaatto"
    # 2026's Easter Monday is an ordinary Tuesday in 2027.
    assert dt.date(2027, 4, 6) not in holidays_2027


def test_eves_can_be_left_out():
    without_eves = public_holidays("FI", 2026, with_eves=False)

    assert dt.date(2026, 6, 19) not in without_eves
    assert dt.date(2026, 12, 24) not in without_eves
    assert dt.date(2026, 6, 20) in without_eves
    assert dt.date(2026, 12, 25) in without_eves


def test_no_country_means_no_holidays():
    assert public_holidays("", 2026, with_eves=True) == {}


# --- opening hours ------------------------------------------------------------------------


def test_load_reads_hours_and_exceptions_once(calendar, django_assert_max_num_queries):
    CalendarException.objects.create(calendar=calendar, date=dt.date(2026, 3, 4), name="Koulutuspäivä")
    with django_assert_max_num_queries(3):
        snapshot = CalendarSnapshot.load(calendar)
    with django_assert_max_num_queries(0):
        snapshot.is_open_at(at(2026, 3, 4, 10))
        snapshot.business_seconds_between(at(2026, 1, 1), at(2026, 12, 31))

    assert snapshot.timezone == HELSINKI
    assert snapshot.country == "FI"
    assert set(snapshot.weekly) == {0, 1, 2, 3, 4}


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (at(2026, 3, 4, 7, 59), False),  # Wednesday before opening
        (at(2026, 3, 4, 8, 0), True),  # opening minute counts
        (at(2026, 3, 4, 12, 0), True),
        (at(2026, 3, 4, 15, 59), True),
        (at(2026, 3, 4, 16, 0), False),  # closing minute does not
        (at(2026, 3, 7, 12, 0), False),  # Saturday
        (at(2026, 3, 8, 12, 0), False),  # Sunday
        (at(2026, 4, 6, 12, 0), False),  # Easter Monday
        (at(2026, 5, 14, 12, 0), False),  # Ascension Day
        (at(2026, 6, 19, 12, 0), False),  # Midsummer Eve, a Friday
        (at(2026, 12, 24, 12, 0), False),  # Christmas Eve, a Thursday
        (at(2026, 4, 7, 12, 0), True),  # Tuesday after Easter
    ],
)
def test_is_open_at(snapshot, moment, is_open):
    assert snapshot.is_open_at(moment) is is_open


def test_calendar_working_on_eves(calendar):
    calendar.observe_eves = False
    calendar.save()
    snapshot = CalendarSnapshot.load(calendar)

    assert snapshot.is_open_at(at(2026, 6, 19, 12)) is True
    assert snapshot.is_open_at(at(2026, 12, 24, 12)) is True
    assert snapshot.is_open_at(at(2026, 12, 25, 12)) is False


def test_calendar_without_holiday_country_opens_on_holidays(calendar):
    calendar.holiday_country = ""
    calendar.save()

    assert CalendarSnapshot.load(calendar).is_open_at(at(2026, 4, 6, 12)) is True


def test_exception_closes_an_ordinary_day(calendar):
    CalendarException.objects.create(calendar=calendar, date=dt.date(2026, 3, 4), name="Muutto")
    snapshot = CalendarSnapshot.load(calendar)

    assert snapshot.is_open_at(at(2026, 3, 4, 12)) is False
    assert snapshot.is_open_at(at(2026, 3, 5, 12)) is True


def test_exception_sets_special_hours(calendar):
    CalendarException.objects.create(calendar=calendar, date=dt.date(2026, 3, 4), name="Lyhyt päivä",
                                     opens=dt.time(10, 0), closes=dt.time(12, 0))
    snapshot = CalendarSnapshot.load(calendar)

    assert snapshot.is_open_at(at(2026, 3, 4, 9)) is False
    assert snapshot.is_open_at(at(2026, 3, 4, 11)) is True
    assert snapshot.is_open_at(at(2026, 3, 4, 13)) is False
    assert snapshot.business_seconds_between(at(2026, 3, 4), at(2026, 3, 5)) == 2 * HOUR


def test_exception_opens_a_holiday_and_a_weekend(calendar):
    CalendarException.objects.create(calendar=calendar, date=dt.date(2026, 4, 6), name="Päivystys",
                                     opens=dt.time(9, 0), closes=dt.time(11, 0))
    CalendarException.objects.create(calendar=calendar, date=dt.date(2026, 3, 7), name="Avoimet ovet",
                                     opens=dt.time(10, 0), closes=dt.time(14, 0))
    snapshot = CalendarSnapshot.load(calendar)

    assert snapshot.is_open_at(at(2026, 4, 6, 10)) is True
    assert snapshot.is_open_at(at(2026, 3, 7, 13)) is True


def test_split_day_hours(calendar):
    calendar.opening_hours.filter(weekday=2).delete()
    calendar.opening_hours.create(weekday=2, opens="12:00", closes="16:00")
    calendar.opening_hours.create(weekday=2, opens="08:00", closes="11:00")
    snapshot = CalendarSnapshot.load(calendar)

    assert snapshot.is_open_at(at(2026, 3, 4, 11, 30)) is False
    assert snapshot.business_seconds_between(at(2026, 3, 4), at(2026, 3, 5)) == 7 * HOUR
    assert snapshot.next_opening(at(2026, 3, 4, 11, 30)) == at(2026, 3, 4, 12)


# --- time zones ---------------------------------------------------------------------------


def test_moments_in_other_zones_are_read_in_the_calendars_zone(snapshot):
    # 06:30 UTC is 08:30 in Helsinki in winter (UTC+2) and 09:30 in summer (UTC+3).
    assert snapshot.is_open_at(dt.datetime(2026, 3, 4, 6, 30, tzinfo=dt.UTC)) is True
    assert snapshot.is_open_at(dt.datetime(2026, 3, 4, 5, 30, tzinfo=dt.UTC)) is False
    assert snapshot.is_open_at(dt.datetime(2026, 6, 3, 5, 30, tzinfo=dt.UTC)) is True
    # 14:30 UTC is 16:30 in winter (closed) but …
    assert snapshot.is_open_at(dt.datetime(2026, 3, 4, 14, 30, tzinfo=dt.UTC)) is False
    # … 23:30 UTC on Sunday is already Monday 01:30 in Helsinki: still closed, but a Monday.
    assert snapshot.hours_on(dt.datetime(2026, 3, 8, 23, 30, tzinfo=dt.UTC).astimezone(HELSINKI).date())


def test_organisation_time_zone_is_used(city, calendar):
    city.org.timezone = "America/New_York"
    city.org.save()
    snapshot = CalendarSnapshot.load(WorkingCalendar.objects.get(pk=calendar.pk))

    # 14:00 UTC is 09:00 in New York (EST), 16:00 in Helsinki.
    assert snapshot.is_open_at(dt.datetime(2026, 3, 4, 14, 0, tzinfo=dt.UTC)) is True
    assert snapshot.is_open_at(dt.datetime(2026, 3, 4, 12, 0, tzinfo=dt.UTC)) is False


def test_opening_hours_follow_wall_clock_across_dst(snapshot):
    # Finland moves to summer time on 2026-03-29 (Sunday): opening is 06:00 UTC before, 05:00 after.
    assert snapshot.next_opening(at(2026, 3, 27, 17)) == dt.datetime(2026, 3, 30, 5, 0, tzinfo=dt.UTC)
    assert snapshot.next_opening(at(2026, 3, 20, 17)) == dt.datetime(2026, 3, 23, 6, 0, tzinfo=dt.UTC)
    # Friday 15:00 → Monday 09:00 across the DST weekend: one hour Friday, one hour Monday.
    assert snapshot.business_seconds_between(at(2026, 3, 27, 15), at(2026, 3, 30, 9)) == 2 * HOUR


def test_business_time_on_the_dst_days_is_elapsed_time(calendar):
    # A round-the-clock calendar shows the difference: the spring-forward day is 23 hours long
    # and the fall-back day 25 hours.
    calendar.opening_hours.all().delete()
    for weekday in range(7):
        calendar.opening_hours.create(weekday=weekday, opens="00:00", closes="23:59")
    snapshot = CalendarSnapshot.load(calendar)
    minute = 60

    assert snapshot.business_seconds_between(at(2026, 3, 29), at(2026, 3, 29, 23, 59)) == 22 * HOUR + 59 * minute
    assert snapshot.business_seconds_between(at(2026, 10, 25), at(2026, 10, 25, 23, 59)) == 24 * HOUR + 59 * minute
    start = at(2026, 3, 29, 1)
    due = snapshot.add_business_seconds(start, 5 * HOUR)
    assert due.astimezone(dt.UTC) - start.astimezone(dt.UTC) == dt.timedelta(hours=5)
    assert due == at(2026, 3, 29, 7)
    assert snapshot.add_business_seconds(start.astimezone(dt.UTC), 5 * HOUR) == due


# --- business time ------------------------------------------------------------------------


def test_business_seconds_within_a_day(snapshot):
    assert snapshot.business_seconds_between(at(2026, 3, 4, 9), at(2026, 3, 4, 11, 30)) == 2.5 * HOUR
    assert snapshot.business_seconds_between(at(2026, 3, 4, 6), at(2026, 3, 4, 20)) == 8 * HOUR


def test_business_seconds_zero_when_end_before_start(snapshot):
    assert snapshot.business_seconds_between(at(2026, 3, 4, 12), at(2026, 3, 4, 10)) == 0
    assert snapshot.business_seconds_between(at(2026, 3, 4, 12), at(2026, 3, 4, 12)) == 0


def test_business_seconds_across_a_weekend(snapshot):
    # Friday 14:00 → Monday 10:00: two hours on Friday, two on Monday.
    assert snapshot.business_seconds_between(at(2026, 3, 6, 14), at(2026, 3, 9, 10)) == 4 * HOUR
    # A whole weekend is worth nothing.
    assert snapshot.business_seconds_between(at(2026, 3, 7), at(2026, 3, 9)) == 0


def test_business_seconds_across_easter(snapshot):
    # Thursday 2026-04-02 14:00 → Tuesday 2026-04-07 10:00; Good Friday, the weekend and Easter
    # Monday are closed.
    assert snapshot.business_seconds_between(at(2026, 4, 2, 14), at(2026, 4, 7, 10)) == 4 * HOUR


def test_business_seconds_in_a_full_week(snapshot):
    assert snapshot.business_seconds_between(at(2026, 3, 2), at(2026, 3, 9)) == 5 * 8 * HOUR
    # Ascension week has four working days.
    assert snapshot.business_seconds_between(at(2026, 5, 11), at(2026, 5, 18)) == 4 * 8 * HOUR


def test_add_business_seconds_within_a_day(snapshot):
    assert snapshot.add_business_seconds(at(2026, 3, 4, 9), 3 * HOUR) == at(2026, 3, 4, 12)


def test_add_business_seconds_before_opening_starts_at_opening(snapshot):
    assert snapshot.add_business_seconds(at(2026, 3, 4, 6), HOUR) == at(2026, 3, 4, 9)


def test_add_business_seconds_across_a_weekend(snapshot):
    # Friday 15:00 + 3 h: one hour on Friday, the rest on Monday.
    assert snapshot.add_business_seconds(at(2026, 3, 6, 15), 3 * HOUR) == at(2026, 3, 9, 10)


def test_add_business_seconds_across_a_holiday(snapshot):
    # Wednesday before Ascension 15:00 + 2 h: Thursday is a holiday, so Friday 09:00.
    assert snapshot.add_business_seconds(at(2026, 5, 13, 15), 2 * HOUR) == at(2026, 5, 15, 9)
    # Thursday before Easter 15:00 + 1 h 30 min: Friday to Monday are closed.
    assert snapshot.add_business_seconds(at(2026, 4, 2, 15), 1.5 * HOUR) == at(2026, 4, 7, 8, 30)


def test_add_business_seconds_is_the_inverse_of_between(snapshot):
    start = at(2026, 12, 22, 13, 17)
    due = snapshot.add_business_seconds(start, 20 * HOUR)

    assert snapshot.business_seconds_between(start, due) == 20 * HOUR
    # 23 December and then (after Christmas, St Stephen's Day and a weekend) 28–29 December.
    assert due == at(2026, 12, 29, 9, 17)


def test_add_business_seconds_on_a_calendar_that_never_opens(calendar):
    calendar.opening_hours.all().delete()
    snapshot = CalendarSnapshot.load(calendar)

    with pytest.raises(ValueError, match="no open time"):
        snapshot.add_business_seconds(at(2026, 3, 4), HOUR, max_days=30)
    assert snapshot.next_opening(at(2026, 3, 4), max_days=30) is None


def test_next_opening(snapshot):
    # Already open: now.
    assert snapshot.next_opening(at(2026, 3, 4, 10)) == at(2026, 3, 4, 10)
    # Early morning: today's opening.
    assert snapshot.next_opening(at(2026, 3, 4, 6)) == at(2026, 3, 4, 8)
    # Evening: tomorrow's opening.
    assert snapshot.next_opening(at(2026, 3, 4, 17)) == at(2026, 3, 5, 8)
    # Friday evening: Monday.
    assert snapshot.next_opening(at(2026, 3, 6, 16)) == at(2026, 3, 9, 8)
    # Before Midsummer: Midsummer Eve and Day and Sunday are closed.
    assert snapshot.next_opening(at(2026, 6, 18, 16, 30)) == at(2026, 6, 22, 8)
    # Christmas: the 24th to 27th are closed.
    assert snapshot.next_opening(at(2026, 12, 23, 16)) == at(2026, 12, 28, 8)


def test_next_opening_respects_exceptions(calendar):
    CalendarException.objects.create(calendar=calendar, date=dt.date(2026, 3, 9), name="Suljettu")
    CalendarException.objects.create(calendar=calendar, date=dt.date(2026, 3, 10), name="Myöhään",
                                     opens=dt.time(12, 0), closes=dt.time(16, 0))
    snapshot = CalendarSnapshot.load(calendar)

    assert snapshot.next_opening(at(2026, 3, 6, 17)) == at(2026, 3, 10, 12)


def test_the_admin_refuses_overlapping_opening_hours_with_the_reason(client, city):
    from django.urls import reverse

    from civicdesk.organizations.models import WorkingCalendar

    admin_user = city.users["contentadmin"]
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    form = {
        "organization": city.org.pk, "name": "Päällekkäinen", "holiday_country": "FI", "observe_eves": "on",
        "opening_hours-TOTAL_FORMS": "3", "opening_hours-INITIAL_FORMS": "0",
        "opening_hours-0-weekday": "0", "opening_hours-0-opens": "08:00", "opening_hours-0-closes": "12:00",
        "opening_hours-1-weekday": "0", "opening_hours-1-opens": "11:00", "opening_hours-1-closes": "16:00",
        "opening_hours-2-weekday": "1", "opening_hours-2-opens": "08:00", "opening_hours-2-closes": "16:00",
        "exceptions-TOTAL_FORMS": "0", "exceptions-INITIAL_FORMS": "0",
    }
    refused = client.post(reverse("admin:organizations_workingcalendar_add"), form)
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "08:00–12:00" in page  # the message names both spans (in the admin's language)
    assert "11:00–16:00" in page
    assert not WorkingCalendar.objects.filter(name="Päällekkäinen").exists()
    form["opening_hours-1-opens"] = "12:00"  # following each other is fine
    assert client.post(reverse("admin:organizations_workingcalendar_add"), form).status_code == 302
    assert WorkingCalendar.objects.get(name="Päällekkäinen").opening_hours.count() == 3
