"""Translation review of one leaflet: its strings with the English beside
them, QA findings and where each prints; approval and sending back as a desk
user with the role and a qualification; per-leaflet XLIFF export."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from conftest import desk_user
from leafletgen import accounts, clearance
from leafletgen.cli import main
from leafletgen.project import select_leaflets
from leafletgen.translate import reviews
from leafletgen.translate.catalogs import po_path, read_catalog, write_catalog
from leafletgen.translate.editions import edition
from leafletgen.translate.leaflet_review import (
    LAYOUT,
    ReviewRefused,
    approvable,
    approve_strings,
    leaflet_strings,
    send_back,
)
from leafletgen.translate.translator import load_translator

LEAFLET = "rituximab"


def actor(root, name="rosa-reviewer", **options):
    """The fictional desk user ``name`` (added first), acting from the desk."""
    desk_user(root, name, **options)
    user = accounts.load_users(root)[name]
    return accounts.Actor(user.name, user.roles, user.qualification, "session")


def test_each_string_with_its_english_findings_and_place(project):
    translation = leaflet_strings(project, LEAFLET, "es")
    assert translation.count("untranslated") == 0 and len(translation.strings) > 40
    fever = next(s for s in translation.strings if s.msgid == "Fever")
    assert (fever.domain, fever.translation) == ("content", "Fiebre")
    assert re.fullmatch(r"locales/es/LC_MESSAGES/content\.po:\d+", fever.catalog)
    assert fever.prints_in == "When to call your care team"
    assert fever.translated_as == "a translator: leafletgen maintainers"
    assert fever.status == "unreviewed" and fever.passes_qa
    assert {s.prints_in for s in translation.strings} >= {"Sources", LAYOUT}
    keys = [s.key for s in translation.strings]
    assert len(keys) == len(set(keys))  # each string once


def test_a_qa_finding_is_shown_and_keeps_it_out_of_approve_all(project_copy):
    root = project_copy.root
    path = po_path(project_copy.locales, "es", "content")
    catalog = read_catalog(path)
    strings = leaflet_strings(project_copy, LEAFLET, "es").strings
    numbered = next(s for s in strings if s.domain == "content" and re.search(r"\d", s.msgid))
    message = catalog[numbered.msgid]
    message.string = re.sub(r"\d+", "", message.string)
    write_catalog(catalog, path)
    translation = leaflet_strings(project_copy, LEAFLET, "es")
    changed = next(s for s in translation.strings if s.msgid == numbered.msgid)
    assert changed.findings and changed.findings[0].startswith("numbers")
    assert changed.key not in approvable(project_copy, actor(root), translation)


def test_approval_names_the_desk_user_and_clears(project_copy):
    root = project_copy.root
    reviewer = actor(root)
    translation = leaflet_strings(project_copy, LEAFLET, "es")
    keys = approvable(project_copy, reviewer, translation)
    assert len(keys) == len(translation.strings)  # every string passes QA
    assert approve_strings(project_copy, LEAFLET, "es", reviewer, keys) == len(keys)
    (review,) = reviews.load_record(project_copy.locales, "es").reviews
    assert (review.reviewer, review.qualification, review.date) == (
        "rosa-reviewer",
        "Medical translator (fictional test user)",
        dt.date.today(),
    )
    assert leaflet_strings(project_copy, LEAFLET, "es").count("approved") == len(keys)
    ((spec, chosen),) = select_leaflets(project_copy, [LEAFLET], include_drugs=True)
    translator = load_translator(project_copy.locales, "es")
    # (as it prints in Spanish: without its FDA label, which is not translated)
    leaflet = edition(chosen, spec, translator, project_copy.templates, root, draft=False)
    assert clearance.review_translation(leaflet, spec, translator, root).complete


def test_who_may_not_approve(project_copy):
    root = project_copy.root
    key = leaflet_strings(project_copy, LEAFLET, "es").strings[0].key
    staff = actor(root, "sam-staff", roles=("staff",), qualification=None)
    with pytest.raises(ReviewRefused, match="does not hold the role 'translation-reviewer'"):
        approve_strings(project_copy, LEAFLET, "es", staff, [key])
    unqualified = actor(root, "una-reviewer", qualification=None)
    with pytest.raises(ReviewRefused, match="has no qualification on record"):
        approve_strings(project_copy, LEAFLET, "es", unqualified, [key])
    # A reviewer who translated a string (their full name on its record) cannot approve it.
    reviewer = actor(root)
    record = reviews.load_record(project_copy.locales, "es")
    reviews.write_record(reviews.set_translated(record, "translator", "Rosa Reviewer", {key}))
    translation = leaflet_strings(project_copy, LEAFLET, "es")
    assert key not in approvable(project_copy, reviewer, translation)
    with pytest.raises(ReviewRefused, match=r"translated .*another reviewer approves it"):
        approve_strings(project_copy, LEAFLET, "es", reviewer, [key])
    with pytest.raises(ReviewRefused, match="prints no translated string"):
        approve_strings(project_copy, LEAFLET, "es", reviewer, ["content 0123456789abcdef"])
    assert reviews.load_record(project_copy.locales, "es").reviews == ()


def test_sent_back_until_the_entry_changes(project_copy):
    root = project_copy.root
    reviewer = actor(root)
    fever = next(
        s for s in leaflet_strings(project_copy, LEAFLET, "es").strings if s.msgid == "Fever"
    )
    approve_strings(project_copy, LEAFLET, "es", reviewer, [fever.key])
    back = send_back(project_copy, LEAFLET, "es", reviewer, fever.key, "  Use «fiebre» here.  ")
    assert (back.comment, back.reviewer, back.date) == (
        "Use «fiebre» here.",
        "rosa-reviewer",
        dt.date.today(),
    )
    now = next(
        s for s in leaflet_strings(project_copy, LEAFLET, "es").strings if s.msgid == "Fever"
    )
    assert now.status == "sent-back" and now.sent_back.comment == "Use «fiebre» here."
    assert reviews.load_record(project_copy.locales, "es").review_of(fever.key) is None
    with pytest.raises(ReviewRefused, match="sent back by rosa-reviewer"):
        approve_strings(project_copy, LEAFLET, "es", reviewer, [fever.key])
    with pytest.raises(ReviewRefused, match="comment is empty"):
        send_back(project_copy, LEAFLET, "es", reviewer, fever.key, "   ")
    # The translator changes it: the comment no longer applies, it is unreviewed.
    path = po_path(project_copy.locales, "es", "content")
    catalog = read_catalog(path)
    catalog["Fever"].string = "Fiebre alta"
    write_catalog(catalog, path)
    changed = next(
        s for s in leaflet_strings(project_copy, LEAFLET, "es").strings if s.msgid == "Fever"
    )
    assert changed.status == "unreviewed" and changed.sent_back is None


def test_the_command_line_reviewer_is_a_desk_user(project_copy, capsys):
    root = project_copy.root
    desk_user(root, "sam-staff", roles=("staff",), qualification=None)
    args = ["i18n", "review", "--lang", "es", "--leaflet", LEAFLET, "--project", str(root)]
    assert main([*args, "--reviewer", "sam-staff"]) == 1
    assert "does not hold the role 'translation-reviewer'" in capsys.readouterr().err
    assert main([*args, "--reviewer", "Somebody Else"]) == 1
    assert "no desk user 'Somebody Else'" in capsys.readouterr().err
    desk_user(root)
    assert main([*args, "--reviewer", "rosa-reviewer", "--qualification", "X"]) == 1
    assert "leave out --qualification and --date" in capsys.readouterr().err
    assert main([*args, "--reviewer", "rosa-reviewer"]) == 0
    out = capsys.readouterr().out
    assert (
        f"review by rosa-reviewer (Medical translator (fictional test user)) on {dt.date.today()}"
        in out
    )
    assert leaflet_strings(project_copy, LEAFLET, "es").count("unreviewed") == 0


def test_xliff_export_of_one_leaflet(project_copy, tmp_path, capsys):
    from translate.storage import xliff

    root = project_copy.root
    target = tmp_path / "rituximab.xlf"
    code = main(
        ["i18n", "export", "--lang", "es", "--leaflet", LEAFLET, "--output", str(target),
         "--project", str(root)]
    )  # fmt: skip
    assert code == 0, capsys.readouterr()
    units = list(xliff.xlifffile.parsestring(target.read_bytes()).unit_iter())
    strings = leaflet_strings(project_copy, LEAFLET, "es").strings
    assert sorted(u.source for u in units) == sorted(s.msgid for s in strings)
    everything = tmp_path / "es.xlf"
    assert main(["i18n", "export", "--lang", "es", "--output", str(everything),
                 "--project", str(root)]) == 0  # fmt: skip
    assert len(list(xliff.xlifffile.parsestring(everything.read_bytes()).unit_iter())) > len(units)
