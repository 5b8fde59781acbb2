"""Review dates printed on a page, found by its publisher's patterns."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from leafletgen.errors import SourceError
from leafletgen.read.profiles import Profile
from leafletgen.read.text import visible


def find_review_dates(
    lines: list[str], profile: Profile, path: Path | None = None
) -> dict[str, dt.date]:
    """Review dates printed on the page, by the profile's patterns; a date that
    is not a real one ("31 Feb 2028") is an error at its line.

    A label ending in ":" may carry its date on the next non-blank line
    ("Last reviewed:" / "11 Jan 2024"), as scrapes of some pages do.
    """
    shown = [visible(line) for line in lines]
    candidates: list[tuple[str, int]] = []
    for index, text in enumerate(shown):
        if not text:
            continue
        candidates.append((text, index + 1))
        if text.endswith(":"):
            following = next((t for t in shown[index + 1 : index + 3] if t), None)
            if following:
                candidates.append((f"{text} {following}", index + 1))
    found: dict[str, dt.date] = {}
    for key, patterns in profile.review_dates.items():
        invalid: tuple[str, int] | None = None  # a stamp no pattern's format can read
        for pattern, date_format in patterns:
            for text, number in candidates:
                match = pattern.match(text)
                if not match:
                    continue
                if day := _parse_date(match["date"], date_format):
                    found[key] = day
                    break
                invalid = invalid or (match["date"], number)
            if key in found:
                break
        if key not in found and invalid:
            what = "last review" if key == "last" else "next review"
            raise SourceError(
                f"{what} date {invalid[0][:40]!r} is not a real date", path, invalid[1]
            )
    return found


def _parse_date(text: str, date_format: str) -> dt.date | None:
    """The date, or None when the text is not one in this format ("26 Feb"
    for a full month name, or a 31 February)."""
    try:
        return dt.datetime.strptime(text, date_format).date()
    except ValueError:
        return None
