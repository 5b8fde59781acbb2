"""Dates a person or a build states: ``SOURCE_DATE_EPOCH`` and the dates of
records (a review, a check of a source against the publisher's page).

``SOURCE_DATE_EPOCH`` follows the reproducible-builds convention: a whole number of seconds since
1970-01-01 UTC. A leaflet prints it as its "Issued" date, so a value that
is not such a number, or whose date no leaflet can carry (1970, year 9999),
is one clear error before any work, never ignored and never a crash.
"""

from __future__ import annotations

import datetime as dt
import os
import re

from leafletgen.errors import LeafletError

NAME = "SOURCE_DATE_EPOCH"
# Leaflets are issued between these dates; anything else is a mistake (0 is
# 1970, before any patient leaflet this program makes).
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9998, 12, 31, 23, 59, 59, tzinfo=dt.UTC)


def source_date_epoch() -> dt.datetime | None:
    """The date ``SOURCE_DATE_EPOCH`` names, ``None`` when it is not set (or empty)."""
    value = os.environ.get(NAME)
    if value is None or value == "":
        return None
    if re.fullmatch("[0-9]{1,12}", value) is None:  # ASCII digits only: "٣" is not 3 here
        raise LeafletError(
            f"{NAME} must be a whole number of seconds since 1970-01-01 UTC, not {value[:40]!r}"
        )
    seconds = int(value)
    if not EARLIEST.timestamp() <= seconds <= LATEST.timestamp():
        raise LeafletError(
            f"{NAME}={value} is outside the dates a leaflet can be issued on "
            f"({EARLIEST.date().isoformat()} to {LATEST.date().isoformat()})"
        )
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


# No record of leafletgen's can be older than this; an earlier date
# ("1900-01-01") is a typing mistake or an invention, never a record.
EARLIEST_RECORD = dt.date(2000, 1, 1)


def record_date_problem(day: dt.date, what: str, today: dt.date | None = None) -> str | None:
    """Why ``day`` cannot be the date of a ``what`` ("review", "check") recorded
    now, if it cannot: a record is made on or after the day it happened, so it
    never lies ahead of the machine's today."""
    today = today or dt.date.today()
    if day > today:
        return f"{what} date {day.isoformat()} is in the future (today is {today.isoformat()})"
    if day < EARLIEST_RECORD:
        return f"{what} date {day.isoformat()} is before {EARLIEST_RECORD.isoformat()}"
    return None
