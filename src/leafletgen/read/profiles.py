"""Publisher profiles: the chrome rules and patterns of ``data/profiles.yaml``.

Each publisher's rules are merged with the generic ones and compiled once,
when a page of that publisher is first read (compiling every publisher's
patterns was a tenth of a single leaflet's cold build); :func:`guess_profile`
picks the publisher whose markers a page carries.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache

from leafletgen.read.language import load_languages
from leafletgen.yamlfile import package_data


@dataclass(frozen=True)
class DropRange:
    """A block of chrome: a start line, then either everything up to an end
    line (``end`` within ``within`` lines) or the run of lines that match
    ``while_`` (no blank line between them)."""

    start: re.Pattern[str]
    within: int
    end: re.Pattern[str] | None = None
    while_: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Profile:
    """A publisher's chrome rules (see ``data/profiles.yaml``)."""

    name: str
    publisher: str | None = None
    detect: tuple[re.Pattern[str], ...] = ()
    drop_lines: tuple[re.Pattern[str], ...] = ()
    drop_leading: tuple[re.Pattern[str], ...] = ()
    breadcrumb: re.Pattern[str] | None = None
    drop_ranges: tuple[DropRange, ...] = ()
    any_range: re.Pattern[str] | None = None  # every range's start, as one
    stop_at: tuple[re.Pattern[str], ...] = ()
    heading_lines: tuple[re.Pattern[str], ...] = ()
    review_dates: dict[str, tuple[tuple[re.Pattern[str], str], ...]] = field(default_factory=dict)
    nav_links: tuple[re.Pattern[str], ...] = ()
    nav_sentences: re.Pattern[str] | None = None
    inline_drop: tuple[re.Pattern[str], ...] = ()
    figure_credit: re.Pattern[str] | None = None
    not_headings: tuple[re.Pattern[str], ...] = ()
    artifacts: tuple[re.Pattern[str], ...] = ()
    lead_in: re.Pattern[str] | None = None
    leaning: re.Pattern[str] | None = None
    furniture: tuple[tuple[str, re.Pattern[str]], ...] = ()
    any_furniture: re.Pattern[str] | None = None  # all furniture patterns, as one
    language: str = "en"
    not_label_headings: tuple[re.Pattern[str], ...] = ()
    section_names: tuple[re.Pattern[str], ...] = ()  # never a page's title ("Overview")
    metadata: tuple[re.Pattern[str], ...] = ()  # "Field: value" lines, dates and stamps
    publisher_lines: tuple[re.Pattern[str], ...] = ()  # each with a `publisher` group
    months: tuple[str, ...] = ()  # the language's month names, for review dates
    heading_suffix: re.Pattern[str] | None = None  # "Back to top" glued to a heading
    link_mark: re.Pattern[str] | None = None  # the "»" of a heading that is a link
    emergency_call: re.Pattern[str] | None = None  # "Call 911": a `number` group
    weekdays: tuple[str, ...] = ()


def _patterns(values: list[str] | None, flags: int = 0) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(value, flags) for value in values or ())


def _union(values: list[str] | None) -> tuple[re.Pattern[str], ...]:
    """Patterns tried on every line, as few alternations as possible: each
    stays linear, and one search a line is much cheaper than one a pattern.
    Patterns anchored at the start go into one ``^(?:...)`` alternation, which
    is only tried at the start of the line."""
    values = list(values or ())
    anchored = [v[1:] for v in values if v.startswith("^")]
    floating = [v for v in values if not v.startswith("^")]
    unions = []
    if anchored:
        unions.append(re.compile("^(?:" + "|".join(f"(?:{v})" for v in anchored) + ")"))
    if floating:
        unions.append(re.compile("|".join(f"(?:{v})" for v in floating)))
    return tuple(unions)


def _optional(value: str | None) -> re.Pattern[str] | None:
    return re.compile(value) if value else None


@cache
def _profile_data() -> dict:
    return package_data("profiles.yaml")


class Profiles(Mapping[str, Profile]):
    """The publisher profiles of one language, by name, each compiled when
    first asked for."""

    def __init__(self, language: str) -> None:
        data = _profile_data()
        self._generic = _with_language(data["generic"], language)
        self._specs: dict[str, dict] = {"generic": {}, **data["profiles"]}
        self._made: dict[str, Profile] = {}

    def __getitem__(self, name: str) -> Profile:
        if name not in self._made:
            self._made[name] = _make_profile(name, self._specs[name], self._generic)
        return self._made[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def markers(self) -> Iterator[tuple[str, tuple[re.Pattern[str], ...]]]:
        """Each profile's name and the patterns that detect its pages."""
        for name in self._specs:
            yield name, _detect_patterns(name)


@cache
def _detect_patterns(name: str) -> tuple[re.Pattern[str], ...]:
    spec = {"generic": {}, **_profile_data()["profiles"]}[name]
    return _patterns(spec.get("detect"), re.MULTILINE)


@cache
def load_profiles(language: str = "en") -> Profiles:
    """The packaged publisher profiles, each merged with the generic rules and
    with the chrome rules of ``language`` (``data/languages.yaml``)."""
    return Profiles(language)


def _with_language(generic: dict, language: str) -> dict:
    """The generic rules plus one language's chrome, stop words aside."""
    extra = load_languages().get(language, {})
    merged = dict(generic, language=language)
    for key, values in extra.get("chrome", {}).items():
        merged[key] = list(generic.get(key, [])) + list(values)
    for key in ("not_label_headings", "section_names", "months", "weekdays"):
        merged[key] = extra.get(key, [])
    return merged


def _ranges(specs: list[dict]) -> tuple[DropRange, ...]:
    return tuple(
        DropRange(
            start=re.compile(r["start"]),
            within=int(r.get("within", 12)),
            end=_optional(r.get("end")),
            while_=_optional(r.get("while")),
        )
        for r in specs
    )


_DatePatterns = tuple[tuple[re.Pattern[str], str], ...]


def _review_patterns(spec: dict, generic: dict) -> dict[str, _DatePatterns]:
    """A publisher's own review-date patterns, then the generic ones."""
    found: dict[str, _DatePatterns] = {}
    for source in (spec.get("review_dates", {}), generic.get("review_dates", {})):
        for key, value in source.items():
            entries = value if isinstance(value, list) else [value]
            compiled = tuple((re.compile(e["pattern"]), e["format"]) for e in entries)
            found[key] = found.get(key, ()) + compiled
    return found


def _make_profile(name: str, spec: dict, generic: dict) -> Profile:
    def both(key: str) -> list:
        return list(generic.get(key, [])) + list(spec.get(key, []))

    return Profile(
        name=name,
        publisher=spec.get("publisher"),
        detect=_patterns(spec.get("detect"), re.MULTILINE),
        drop_lines=_union(both("drop_lines")),
        drop_leading=_union(both("drop_leading")),
        breadcrumb=_optional(spec.get("breadcrumb")),
        drop_ranges=_ranges(both("drop_ranges")),
        any_range=re.compile("|".join(f"(?:{r['start']})" for r in both("drop_ranges")) or "(?!)"),
        stop_at=_union(both("stop_at")),
        heading_lines=_union(spec.get("heading_lines")),
        review_dates=_review_patterns(spec, generic),
        nav_links=_patterns(generic.get("nav_links")),
        nav_sentences=_optional("|".join(generic.get("nav_sentences", [])) or None),
        inline_drop=_patterns(generic.get("inline_drop")),
        figure_credit=_optional(generic.get("figure_credit")),
        not_headings=_union(generic.get("not_headings")),
        artifacts=tuple(
            re.compile(p.pattern, re.IGNORECASE) for p in _union(generic.get("artifacts"))
        ),
        lead_in=re.compile(generic["lead_in"]),
        leaning=re.compile(generic["leaning"]),
        furniture=tuple(
            (kind, re.compile(pattern))
            for kind, patterns in generic.get("furniture", {}).items()
            for pattern in patterns
        ),
        any_furniture=re.compile(
            "|".join(f"(?:{p})" for ps in generic.get("furniture", {}).values() for p in ps)
        ),
        language=generic.get("language", "en"),
        not_label_headings=_patterns(generic.get("not_label_headings")),
        section_names=_patterns(generic.get("section_names"), re.IGNORECASE),
        metadata=_union(both("metadata")),
        publisher_lines=_patterns(
            list(spec.get("publisher_lines", [])) + list(generic.get("publisher_lines", [])),
            re.MULTILINE,
        ),
        months=tuple(generic.get("months", ())),
        heading_suffix=_optional(generic.get("heading_suffix")),
        link_mark=_optional(generic.get("link_mark")),
        emergency_call=_optional(generic.get("emergency_call")),
        weekdays=tuple(generic.get("weekdays", ())),
    )


def guess_profile(text: str, language: str = "en") -> Profile:
    """The profile of the publisher whose markers appear in ``text``, else the generic one.

    A page can mention other publishers (a link to cancer.gov on a MedlinePlus
    page): the profile with the most distinct markers wins, ties going to the
    one whose first marker comes first.
    """
    best: tuple[int, int, str] | None = None
    profiles = load_profiles(language)
    for name, detect in profiles.markers():
        positions = [m.start() for p in detect if (m := p.search(text))]
        if not positions:
            continue
        key = (-len(positions), min(positions))
        if best is None or key < best[:2]:
            best = (*key, name)
    if best and best[0] == -1 and _owned_by_another(text, profiles[best[2]]):
        return profiles["generic"]
    return profiles[best[2] if best else "generic"]


def _owned_by_another(text: str, profile: Profile) -> bool:
    """Whether the page's own copyright line names a publisher other than the
    profile's: then the profile's one marker is a mention ("Macmillan Support
    Line: 0808 ..." on a hospital's leaflet), not the page's publisher."""
    if not profile.publisher:
        return False
    name = profile.publisher.split()[0].casefold()
    holders = [m["holder"] for m in _COPYRIGHT.finditer(text)]
    return bool(holders) and all(name not in holder.casefold() for holder in holders)


# The holder named at the start of a copyright line ("© 2023 The Christie NHS
# Foundation Trust. This document may be copied ..."), however long the line.
_COPYRIGHT = re.compile(
    r"^(?:Copyright ?©?|©) ?(?:\d{4}(?: ?[-–] ?\d{4})?,? )?(?P<holder>[A-Z][\w&'’ -]{2,60})",
    re.MULTILINE,
)
