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


def test_cuti_bersama_2026_follows_the_decree():
    # SKB 3 Menteri No. 1497/2/5 Tahun 2025: eight joint-leave days in 2026.
    decreed = [
        date(2026, 2, 16),
        date(2026, 3, 18),
        date(2026, 3, 20),
        date(2026, 3, 23),
        date(2026, 3, 24),
        date(2026, 5, 15),
        date(2026, 5, 28),
        date(2026, 12, 24),
    ]
    assert not any(is_working_day(day) for day in decreed)
    # Idul Fitri 1447 H: Thu 19 Mar (Nyepi) to Tue 24 Mar is one closed stretch,
    # so a report received on Tue 17 Mar has its first working day on Wed 25 Mar.
    assert add_working_days(date(2026, 3, 17), 1) == date(2026, 3, 25)
