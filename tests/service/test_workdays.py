from datetime import date

from salur.service.workdays import (
    add_working_days,
    is_working_day,
    working_days_between,
    working_days_left,
)


def test_weekends_and_holidays_are_not_working_days():
    assert not is_working_day(date(2026, 11, 28))  # Saturday
    assert not is_working_day(date(2026, 8, 17))  # Independence Day
    assert not is_working_day(date(2025, 4, 3))  # cuti bersama Idul Fitri (data file)
    assert is_working_day(date(2026, 11, 24))


def test_add_working_days_skips_weekend_and_holiday():
    # Friday 14 Aug 2026 + 1 working day: Mon 17 Aug is Independence Day -> Tue 18 Aug
    assert add_working_days(date(2026, 8, 14), 1) == date(2026, 8, 18)
    assert add_working_days(date(2026, 11, 23), 5) == date(2026, 11, 30)


def test_working_days_left_counts_down_and_goes_negative():
    received = date(2026, 11, 23)  # Monday
    assert working_days_left(received, 5, date(2026, 11, 23)) == 5
    assert working_days_left(received, 5, date(2026, 11, 27)) == 1
    assert working_days_left(received, 5, date(2026, 12, 2)) == -2
    assert working_days_between(date(2026, 11, 27), date(2026, 11, 30)) == 1
