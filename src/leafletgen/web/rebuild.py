"""What a desk build of one leaflet asks the batch for: every copy it has.

The desk builds through the same :func:`~leafletgen.batch.build.build` as the
command line. A leaflet published by a batch may have copies in several
languages, a large-print and a bilingual edition, a web page beside each PDF
and its FHIR data inline; "Update this leaflet" must give it all of them
back, or the portal's links to the ones left out would answer 404 (the
writer removes a web page that no longer says what its PDF says). The
manifest says which copies a leaflet has; :func:`rebuild_options` turns
that, plus the copy the request names, into the batch options, and
:func:`copy_options` is the same shape as the rule that says whether a copy
the desk lists is current.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from leafletgen.batch.plan import BuildOptions
from leafletgen.errors import LeafletError
from leafletgen.files import read_regular
from leafletgen.project import OutputLayout, companion_language
from leafletgen.publish.manifest import ManifestEntry

MAX_REFERENCE_BYTES = 64 * 1024 * 1024  # a DocumentReference with its PDF inline


@dataclass(frozen=True)
class LeafletShape:
    """What a leaflet's published copies are made of, across its languages."""

    variants: dict[str, frozenset[str]]  # language -> the variants it has
    html_twin: bool = False  # a web page beside its PDFs
    fhir_inline: bool = False  # the PDF inside its DocumentReference

    def with_copy(self, lang: str, variant: str) -> LeafletShape:
        """The shape with the copy ``lang`` / ``variant`` added."""
        variants = dict(self.variants)
        variants[lang] = variants.get(lang, frozenset()) | {variant}
        return LeafletShape(variants, self.html_twin, self.fhir_inline)


def inline_data(out: Path, entry: ManifestEntry) -> bool:
    """Whether the DocumentReference beside ``entry``'s PDF carries the PDF
    inline (False when it is missing or unreadable: the build writes it anew)."""
    path = out / OutputLayout.fhir_path(entry.path)
    try:
        data = read_regular(path, limit=MAX_REFERENCE_BYTES, what="FHIR resource")
        attachment = json.loads(data)["content"][0]["attachment"]
        return isinstance(attachment, dict) and "data" in attachment
    except (LeafletError, OSError, ValueError, LookupError, TypeError, AttributeError):
        return False


def leaflet_shape(out: Path, entries: Iterable[ManifestEntry], leaflet_id: str) -> LeafletShape:
    """The copies of ``leaflet_id`` the manifest ``entries`` list (drafts are
    not copies: a final build replaces them)."""
    own = [e for e in entries if e.id == leaflet_id and not e.draft]
    variants: dict[str, frozenset[str]] = {}
    for entry in own:
        variants[entry.lang] = variants.get(entry.lang, frozenset()) | {entry.variant}
    return LeafletShape(
        variants,
        html_twin=any(e.html for e in own),
        # judged by one copy: a batch writes all of its DocumentReferences alike
        fhir_inline=any(inline_data(out, e) for e in own[:1]),
    )


def copy_options(shape: LeafletShape) -> BuildOptions:
    """The options a desk build of a leaflet of this shape runs with, as far as
    they decide whether one of its copies is current (web page, inline data)."""
    return BuildOptions(
        include_drugs=True, jobs=1, html_twin=shape.html_twin, fhir_inline=shape.fhir_inline
    )


def rebuild_options(
    out: Path, shape: LeafletShape, leaflet_id: str, lang: str, variant: str
) -> list[BuildOptions]:
    """The batch builds that bring ``leaflet_id`` up to date in the copy asked
    for and every copy it already has: one per set of languages that share
    their variants (a large-print or bilingual edition is built only in the
    languages that have one, or asked for one)."""
    wanted = shape.with_copy(lang, variant)
    groups: dict[tuple[bool, str | None], list[str]] = {}
    for language in sorted(wanted.variants, key=lambda x: (x != "en", x)):
        variants = wanted.variants[language]
        bilingual = next((c for v in variants if (c := companion_language(v))), None)
        groups.setdefault(("large-print" in variants, bilingual), []).append(language)
    base = copy_options(shape)
    return [
        BuildOptions(
            ids=(leaflet_id,),
            langs=tuple(langs),
            out=Path(out),
            include_drugs=True,
            jobs=1,
            large_print=large,
            bilingual=bilingual,
            html_twin=base.html_twin,
            fhir_inline=base.fhir_inline,
        )
        for (large, bilingual), langs in groups.items()
    ]
