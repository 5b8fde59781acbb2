"""Review dates printed on a page, found by its publisher's patterns."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from leafletgen.errors import SourceError
from leafletgen.read.profiles import Profile
from leafletgen.read.text import visible


def find_review_dates(
    lines: list[str], profile: Profile, path: Path | None = None
) -> dict[str, dt.date]:
    """Review dates printed on the page, by the profile's patterns; a date that
    is not a real one ("31 Feb 2028") is an error at its line.

    A label ending in ":", or a short label line ("Last Updated"), may carry
    its date on the next non-blank line ("Last reviewed:" / "11 Jan 2024"),
    as scrapes of some pages do. Month and weekday names of the page's
    language are read like English ones ("1 de febrero de 2024").
    """
    shown = [visible(line) for line in lines]
    candidates: list[tuple[str, int]] = []
    for index, text in enumerate(shown):
        if not text:
            continue
        candidates.append((text, index + 1))
        if text.endswith(":") or _is_short_label(text):
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
                if day := _parse_date(_in_english(match["date"], profile), date_format):
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


_ENGLISH_MONTHS = tuple(dt.date(2000, m, 1).strftime("%B") for m in range(1, 13))
_ENGLISH_WEEKDAYS = tuple(dt.date(2024, 1, d).strftime("%A") for d in range(1, 8))
_WORD = re.compile(r"[^\W\d_]+")


def _is_short_label(text: str) -> bool:
    """A line of a few words without closing punctuation: a stamp's label."""
    return len(text.split()) <= 4 and text[-1] not in ".!?"


def _in_english(text: str, profile: Profile) -> str:
    """A printed date with its month and weekday names in English, for strptime."""
    if not profile.months:
        return text
    names = dict(zip(profile.months, _ENGLISH_MONTHS, strict=True))
    names.update(zip(profile.weekdays, _ENGLISH_WEEKDAYS, strict=True))
    return _WORD.sub(lambda m: names.get(m[0].casefold(), m[0]), text)
