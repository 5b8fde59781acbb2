"""Which edition of a drug leaflet prints in a language: with the drug's
own FDA label, or, where the label's text is not translated into that
language yet, as it prints without it (its class's text, headed as the
class's).

A language's leaflet never prints untranslated text outside a draft, and a
label's text is translated like any other source text (through the content
catalog, reviewed before it is cleared). Until it is, the language keeps the
leaflet it had, every build says so (:func:`edition_findings`), and that
edition is not cleared (``label-not-translated``): a patient reading it would
miss the drug's own warnings that the English edition prints. A draft shows
the label with its English marked, for translators and reviewers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from leafletgen.errors import LeafletError
from leafletgen.model import Leaflet
from leafletgen.read.document import Document
from leafletgen.select.definitions import LeafletSpec
from leafletgen.select.furniture import Finding
from leafletgen.translate.translator import Translator, leaflet_needs


def missing_label_strings(
    leaflet: Leaflet, spec: LeafletSpec, translator: Translator, templates: Path, root: Path
) -> list[str]:
    """The strings only the label's edition prints that ``translator`` has no
    usable translation of (none in English, or for a leaflet without a label)."""
    if leaflet.without_label is None or translator.is_source:
        return []
    common = {
        (n.domain, n.msgid) for n in leaflet_needs(leaflet.without_label, spec, templates, root)
    }
    own = dict.fromkeys(
        (n.domain, n.msgid)
        for n in leaflet_needs(leaflet, spec, templates, root)
        if (n.domain, n.msgid) not in common
    )
    return [msgid for domain, msgid in own if translator.state(domain, msgid) != "translated"]


def edition(
    leaflet: Leaflet,
    spec: LeafletSpec,
    translator: Translator,
    templates: Path,
    root: Path,
    *,
    draft: bool,
) -> Leaflet:
    """The leaflet as it prints in ``translator``'s language: with the drug's
    label where the label's strings are translated (or in a ``draft``, which
    marks English), else without it."""
    if draft or not missing_label_strings(leaflet, spec, translator, templates, root):
        return leaflet
    assert leaflet.without_label is not None
    label = left_out_label(leaflet)
    return replace(
        leaflet.without_label, label_left_out=(label.publisher or label.id, label.title or label.id)
    )


def left_out_label(leaflet: Leaflet) -> Document:
    """The label source a drug leaflet prints that its edition without the label does not."""
    assert leaflet.without_label is not None
    return next(d for d in leaflet.documents if d not in leaflet.without_label.documents)


def edition_findings(
    leaflets: Iterable[Leaflet],
    specs: Mapping[str, LeafletSpec],
    translator: Callable[[str], Translator],
    langs: Iterable[str],
    templates: Path,
    root: Path,
) -> list[Finding]:
    """Per leaflet and language, the drug label a build leaves out because
    its text is not translated into that language (each once)."""
    findings = []
    for leaflet in leaflets:
        if leaflet.without_label is None or leaflet.id not in specs:
            continue
        label = left_out_label(leaflet)
        for lang in langs:
            try:
                missing = missing_label_strings(
                    leaflet, specs[leaflet.id], translator(lang), templates, root
                )
            except LeafletError:
                continue  # (a language without catalogs fails its leaflets on its own)
            if missing:
                findings.append(
                    Finding(
                        f"{label.path}:1",
                        f"leaflet {leaflet.id!r} [{lang}] prints its class's text without "
                        f"its FDA label: {len(missing)} of the label's strings are not "
                        f"translated into {lang!r} (its catalogs are in locales/{lang}/; "
                        "`build --draft` shows the label with its English marked)",
                        leaflet.id,
                        blocking=False,
                    )
                )
    return findings
