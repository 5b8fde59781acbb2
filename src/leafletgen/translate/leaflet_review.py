"""One leaflet's translation, string by string, as its reviewer sees it.

For one leaflet and one language: every string the leaflet prints (its
catalog domain and msgid), the English beside the translation, its
translation QA findings (:mod:`leafletgen.translate.qa`), where it prints
(the leaflet's section heading, the title, the sources, the page layout),
whether it is approved as it now stands (the fingerprints of
:mod:`leafletgen.translate.reviews`), sent back with a comment, and who
translated it.

A reviewer acts as a desk user (an :class:`~leafletgen.accounts.Actor`): the
record names them and the qualification their desk user record holds, and
the date is the server's today (never ahead of it; never before the entry
existed, since the entry exists now). Refused: an actor who may not review
translations (:func:`leafletgen.permissions.allowed`), without a
qualification on record, approving a string they translated, or naming a
string the leaflet does not print as it stands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from leafletgen import audit, clearance
from leafletgen.accounts import Actor, load_users
from leafletgen.errors import LeafletError, TranslationError
from leafletgen.model import CLASS_HEADINGS, Leaflet
from leafletgen.permissions import allowed
from leafletgen.project import Project, select_leaflets
from leafletgen.select.definitions import LeafletSpec
from leafletgen.translate.catalogs import SOURCE_LANGUAGE, language_code, project_relative
from leafletgen.translate.editions import edition
from leafletgen.translate.qa import check_entry
from leafletgen.translate.reviews import (
    METHOD_LABELS,
    Review,
    SentBack,
    add_review,
    add_sent_back,
    catalog_entries,
    write_record,
)
from leafletgen.translate.translator import Translator, leaflet_needs, load_translator

# The canonical headings of leaflet.html, for sections whose definition names none.
HEADINGS = {
    "what_it_is": "What it is",
    "how_it_works": "How it works",
    "what_to_expect": "What to expect",
    "side_effects": "Side effects",
    "when_to_call": "When to call your care team",
    "questions_to_ask": "Questions to ask",
}
LAYOUT = "Page layout (every leaflet)"


class ReviewRefused(LeafletError):
    """A translation review the actor may not record."""


@dataclass(frozen=True)
class ReviewString:
    """One string a leaflet prints in one language, and its review state."""

    domain: str
    msgid: str  # the English
    translation: str | None  # None: untranslated or fuzzy
    catalog: str  # where it stands: "locales/es/LC_MESSAGES/content.po:123"
    origin: str  # where the English comes from: "sources/x.md:12"
    prints_in: str  # the section heading it prints under (or title, sources, layout)
    key: str | None = None  # its fingerprint, when translated
    findings: tuple[str, ...] = ()  # translation QA, "check: message"
    translated_by: str | None = None  # the ``by`` of its ``translated`` record
    method: str | None = None  # translator, machine, publisher
    approved: Review | None = None
    sent_back: SentBack | None = None
    context: str | None = None  # msgctxt (the leaflet's strings have none)

    @property
    def status(self) -> str:
        """``untranslated``, ``sent-back``, ``approved`` or ``unreviewed``."""
        if self.key is None:
            return "untranslated"
        if self.sent_back is not None:
            return "sent-back"
        return "approved" if self.approved is not None else "unreviewed"

    @property
    def passes_qa(self) -> bool:
        """Whether translation QA finds nothing in it."""
        return not self.findings

    @property
    def translated_as(self) -> str | None:
        """How and by whom it was translated, in words ("a translator: ana")."""
        if self.method is None:
            return None
        return f"{METHOD_LABELS.get(self.method, self.method)}: {self.translated_by}"


@dataclass(frozen=True)
class LeafletTranslation:
    """The strings one leaflet prints in one language."""

    leaflet_id: str
    lang: str
    title: str
    strings: tuple[ReviewString, ...]

    def string(self, key: str) -> ReviewString | None:
        """The translated string with fingerprint ``key``, if the leaflet prints it."""
        return next((s for s in self.strings if s.key == key), None)

    def count(self, status: str) -> int:
        """How many of its strings have ``status``."""
        return sum(1 for s in self.strings if s.status == status)


def _places(leaflet: Leaflet, spec: LeafletSpec) -> dict[tuple[str, str], str]:
    """Where each of the leaflet's own strings prints: the heading of its section."""
    places: dict[tuple[str, str], str] = {}
    if not spec.drug:
        places[("messages", spec.title)] = "Title"
    if spec.description:
        places.setdefault(("messages", spec.description), "Title")
    for section in leaflet.sections:
        name = section.class_name
        if section.heading:
            heading = section.heading
        elif name and section.kind in CLASS_HEADINGS:
            heading = CLASS_HEADINGS[section.kind] % {"class_name": name}
        else:
            heading = HEADINGS.get(section.kind, section.kind)
        if section.heading:
            places.setdefault(("messages", section.heading), heading)
        if name:
            places.setdefault(("messages", name), heading)
        for passage in section.passages:
            for block in passage.blocks:
                for text, _line in block.units:
                    places.setdefault(("content", text), heading)
    for document in leaflet.documents:
        if document.source.licence:
            places.setdefault(("messages", document.source.licence.name), "Sources")
    return places


def _as_printed(
    project: Project, ids: list[str], translator: Translator
) -> list[tuple[LeafletSpec, Leaflet]]:
    """The leaflets ``ids`` as they print in the translator's language (a
    drug's label only once it is translated there: translate.editions)."""
    return [
        (spec, edition(leaflet, spec, translator, project.templates, project.root, draft=False))
        for spec, leaflet in select_leaflets(project, ids, include_drugs=True)
    ]


def _chosen(project: Project, leaflet_id: str, lang: str) -> tuple[LeafletSpec, Leaflet, str]:
    """The leaflet ``leaflet_id`` as it prints in the translated language
    ``lang`` (normalised), and the language."""
    lang = language_code(lang)
    if lang == SOURCE_LANGUAGE:
        raise LeafletError(f"{SOURCE_LANGUAGE!r} is the source language: nothing to review")
    translator = load_translator(project.locales, lang, draft=True)
    spec, leaflet = _as_printed(project, [leaflet_id], translator)[0]
    return spec, leaflet, lang


def leaflet_strings(project: Project, leaflet_id: str, lang: str) -> LeafletTranslation:
    """Every string ``leaflet_id`` prints in ``lang``, each once, in the order it prints."""
    spec, leaflet, lang = _chosen(project, leaflet_id, lang)
    translator = load_translator(project.locales, lang, draft=True)
    return _strings(project, spec, leaflet, translator)


def _strings(
    project: Project, spec: LeafletSpec, leaflet: Leaflet, translator: Translator
) -> LeafletTranslation:
    root, lang = project.root, translator.lang
    needs = leaflet_needs(leaflet, spec, project.templates, root)
    printed = {
        (e.domain, e.msgid): e
        for e in clearance.printed_entries(leaflet, spec, translator, root, needs)
    }
    record = clearance.review_record(project.locales, lang)
    names, keep = clearance.drug_names(root), clearance.kept_names(root)
    terms = clearance.glossary(project.locales, lang)
    places = _places(leaflet, spec)
    strings, seen = [], set()
    for need in needs:
        if (need.domain, need.msgid) in seen:
            continue
        seen.add((need.domain, need.msgid))
        place = places.get((need.domain, need.msgid), LAYOUT)
        entry = printed.get((need.domain, need.msgid))
        if entry is None:  # untranslated or fuzzy: nothing to approve yet
            strings.append(ReviewString(need.domain, need.msgid, None, "", need.where, place))
            continue
        who = record.translation_of(entry.key)
        found = check_entry(entry.msgid, entry.msgstr, lang, names, keep, terms)
        strings.append(
            ReviewString(
                need.domain,
                need.msgid,
                entry.msgstr,
                entry.where,
                need.where,
                place,
                key=entry.key,
                findings=tuple(f"{check}: {message}" for check, message in found),
                translated_by=who.by if who else None,
                method=who.method if who else None,
                approved=record.review_of(entry.key),
                sent_back=record.sent_back_of(entry.key),
            )
        )
    return LeafletTranslation(spec.id, lang, spec.title, tuple(strings))


def check_reviewer(project: Project, actor: Actor) -> str:
    """The actor's qualification, if they may review translations; else refused."""
    if not allowed(actor, "review_translation"):
        if "translation-reviewer" not in actor.roles:
            raise ReviewRefused(
                f"{actor.name!r} does not hold the role 'translation-reviewer': only a "
                "translation reviewer approves or sends back translations"
            )
        raise ReviewRefused(
            f"{actor.name!r} has no qualification on record; an admin records it "
            "with the desk user before they review translations"
        )
    return (actor.qualification or "").strip()


def _names(project: Project, actor: Actor, accounts: Path | None = None) -> set[str]:
    """The names a ``translated`` record may give the actor by: their desk user
    name and full name (from the accounts in ``accounts``, default the
    project's own ``desk/``), folded."""
    user = load_users(accounts or project.root).get(actor.name)
    names = {actor.name, user.full_name if user else ""}
    return {" ".join(n.split()).casefold() for n in names if n.strip()}


def refuse_own_import(project: Project, actor: Actor, translator: str | None) -> None:
    """An import that records ``translator`` as the translator and ``actor`` as
    the reviewer of the same entries is refused when they are one person."""
    if translator and " ".join(translator.split()).casefold() in _names(project, actor):
        raise ReviewRefused(
            f"--translator {translator!r} is the reviewer {actor.name!r}: a reviewer cannot "
            "approve entries they translated; import without --reviewer and let another "
            "translation reviewer approve them"
        )


def _own(names: set[str], string: ReviewString) -> bool:
    """Whether ``string`` was translated by one of ``names`` (see :func:`_names`)."""
    by = string.translated_by
    return bool(by) and " ".join(str(by).split()).casefold() in names


def own_strings(
    project: Project, actor: Actor, translation: LeafletTranslation, accounts: Path | None = None
) -> set[str]:
    """The fingerprints of the strings ``actor`` translated."""
    names = _names(project, actor, accounts)
    return {s.key for s in translation.strings if s.key and _own(names, s)}


def approvable(
    project: Project, actor: Actor, translation: LeafletTranslation, accounts: Path | None = None
) -> list[str]:
    """The strings "approve all shown that pass QA" approves for ``actor``:
    translated, passing QA, not approved yet, not sent back, not their own."""
    own = own_strings(project, actor, translation, accounts)
    return [
        s.key
        for s in translation.strings
        if s.key and s.status == "unreviewed" and s.passes_qa and s.key not in own
    ]


def approve_strings(
    project: Project,
    leaflet_id: str,
    lang: str,
    actor: Actor,
    keys: Iterable[str],
    *,
    today: dt.date | None = None,
    accounts: Path | None = None,
) -> int:
    """Record that ``actor`` approved these strings of the leaflet as they now
    stand, dated ``today`` (the server's date); how many were not approved before."""
    qualification = check_reviewer(project, actor)
    translation = leaflet_strings(project, leaflet_id, lang)
    chosen = [_printed(translation, key) for key in dict.fromkeys(keys)]
    if not chosen:
        raise ReviewRefused("no string chosen to approve")
    own = own_strings(project, actor, translation, accounts)
    for string in chosen:
        if string.key in own:
            raise ReviewRefused(
                f"{actor.name!r} translated {string.msgid[:60]!r}: another reviewer approves it"
            )
        if string.sent_back is not None:
            raise ReviewRefused(
                f"{string.msgid[:60]!r} was sent back by {string.sent_back.reviewer}: it can be "
                "approved once its translation changes"
            )
    record = clearance.review_record(project.locales, translation.lang)
    record = add_review(
        record,
        reviewer=actor.name,
        qualification=qualification,
        date=today or dt.date.today(),
        approved={s.key for s in chosen if s.key},
    )
    write_record(record)
    return sum(1 for s in chosen if s.approved is None)


def send_back(
    project: Project,
    leaflet_id: str,
    lang: str,
    actor: Actor,
    key: str,
    comment: str,
    *,
    today: dt.date | None = None,
) -> SentBack:
    """Record that ``actor`` sent the string ``key`` back to its translator with
    ``comment``; it is not approved while it stands as it is."""
    qualification = check_reviewer(project, actor)
    translation = leaflet_strings(project, leaflet_id, lang)
    string = _printed(translation, key)
    comment = " ".join(comment.split())
    if not comment:
        raise ReviewRefused("say what the translator should change: the comment is empty")
    if len(comment) > 2000:
        raise ReviewRefused("a comment is at most 2000 characters")
    back = SentBack(actor.name, qualification, today or dt.date.today(), str(string.key), comment)
    record = clearance.review_record(project.locales, translation.lang)
    write_record(add_sent_back(record, back))
    return back


def _printed(translation: LeafletTranslation, key: str) -> ReviewString:
    """The translated string ``key`` of the leaflet as it now stands, or refused."""
    string = translation.string(" ".join(str(key).split()))
    if string is None:
        raise ReviewRefused(
            f"leaflet {translation.leaflet_id!r} prints no translated string {str(key)[:40]!r} "
            f"in {translation.lang!r} as it now stands (changed since the page was shown?)"
        )
    return string


def record_review(
    project: Project, lang: str, actor: Actor, leaflet_ids: Iterable[str] = ()
) -> list[str]:
    """``i18n review``: ``actor`` approves, as they now stand and dated today,
    every translated entry of ``lang`` (or those the leaflets ``leaflet_ids``
    print), except the ones they translated; the lines to print."""
    qualification = check_reviewer(project, actor)
    ids = list(leaflet_ids)
    if ids:
        translator = load_translator(project.locales, lang, draft=True)
        entries = {
            e.key: e
            for spec, leaflet in _as_printed(project, ids, translator)
            for e in clearance.printed_entries(leaflet, spec, translator, project.root)
        }
    else:
        entries = {e.key: e for e in catalog_entries(project.locales, lang, project.root)}
    record = clearance.review_record(project.locales, lang)
    names = _names(project, actor)
    own = {
        key
        for key in entries
        if (made := record.translation_of(key)) and " ".join(made.by.split()).casefold() in names
    }
    back = {key for key in entries if record.sent_back_of(key)}
    chosen = {key: e for key, e in entries.items() if key not in own and key not in back}
    if not chosen:
        raise TranslationError(f"nothing translated to review in {lang!r}", project.locales / lang)
    before = sum(1 for key in chosen if record.review_of(key))
    today = dt.date.today()
    record = add_review(
        record, reviewer=actor.name, qualification=qualification, date=today, approved=set(chosen)
    )
    write_record(record)
    audit.append_cli(
        project.root,
        "i18n.review",
        {"language": lang, "reviewer": actor.name, "qualification": qualification,
         "date": today, "entries": len(chosen), "leaflets": ids},
        [record.path],
    )  # fmt: skip
    lines = [
        f"{project_relative(record.path, project.root)}: review by {actor.name} "
        f"({qualification}) on {today.isoformat()}: {len(chosen)} entries approved as they "
        f"now stand ({before} were already approved)"
    ]
    if own:
        lines.append(f"{len(own)} entries {actor.name} translated are left to another reviewer")
    if back:
        lines.append(f"{len(back)} entries sent back are left until their translation changes")
    findings = clearance.entry_findings(list(chosen.values()), lang, project.root)
    lines += [f"warning: {finding}" for finding in findings]
    if findings:
        lines.append(
            f"{len(findings)} QA finding(s) among them keep their leaflets from being cleared"
        )
    return lines


def printed_messages(
    project: Project, leaflet_ids: Iterable[str], lang: str | None = None
) -> set[tuple[str, str]]:
    """The (domain, msgid) of every string the leaflets ``leaflet_ids`` print
    (in ``lang``, as they print there, when given; a per-leaflet XLIFF export
    gives translation tools just these)."""
    ids = list(leaflet_ids)
    chosen = (
        _as_printed(project, ids, load_translator(project.locales, lang, draft=True))
        if lang
        else select_leaflets(project, ids, include_drugs=True)
    )
    return {
        (need.domain, need.msgid)
        for spec, leaflet in chosen
        for need in leaflet_needs(leaflet, spec, project.templates, project.root)
    }
