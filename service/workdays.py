"""Indonesian working days: weekends, national holidays and cuti bersama.

National holidays come from the ``holidays`` package (country ID); the joint
leave days (cuti bersama) are decreed yearly, so they are a data file,
``service/data/cuti_bersama.csv``, that an admin extends each year.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import holidays

CUTI_BERSAMA = Path(__file__).resolve().parent / "data" / "cuti_bersama.csv"


@lru_cache(maxsize=1)
def _joint_leave(path: Path = CUTI_BERSAMA) -> frozenset[date]:
    with path.open(encoding="utf-8", newline="") as handle:
        return frozenset(date.fromisoformat(row["date"]) for row in csv.DictReader(handle))


@lru_cache(maxsize=16)
def _national(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("ID", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _national(day.year) and day not in _joint_leave()


def add_working_days(start: date, days: int) -> date:
    """The date on which ``days`` working days after ``start`` have passed."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``; negative if overdue."""
    if end < start:
        return -working_days_between(end, start)
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        count += is_working_day(current)
    return count


def working_days_left(received: date, deadline_days: int, today: date) -> int:
    return working_days_between(today, add_working_days(received, deadline_days))
