"""Write the hostile SPL test documents in this folder.

Each file is a small HL7 SPL-shaped document (namespace urn:hl7-org:v3) built
to attack an XML reader. No label text is used; every id is illustrative
(00000000-...). deep-nesting.xml is larger than is worth committing, so it is
generated: run `python tests/data/spl/hostile/make.py` (or call `make(dir)`
from a test fixture) before reading it. The other files are committed and
this script rewrites them identically.
"""
from pathlib import Path
import sys

NS = 'xmlns="urn:hl7-org:v3"'
LOINC = 'codeSystem="2.16.840.1.113883.6.1"'
COMMENT = "<!-- leafletgen test data: hostile input, illustrative ids, no label text. -->\n"


def header(set_id_tail: str) -> str:
    return (
        f"  <id root=\"00000000-0000-0000-0000-0000000000{set_id_tail}\"/>\n"
        f"  <code code=\"34391-3\" {LOINC} displayName=\"HUMAN PRESCRIPTION DRUG LABEL\"/>\n"
        "  <title>Hostile test document</title>\n"
        "  <effectiveTime value=\"20000101\"/>\n"
        f"  <setId root=\"00000000-0000-0000-0000-0000000001{set_id_tail}\"/>\n"
        "  <versionNumber value=\"1\"/>\n"
    )


def medguide(body: str) -> str:
    return (
        "  <component>\n    <structuredBody>\n      <component>\n        <section>\n"
        f"          <code code=\"42231-1\" {LOINC} displayName=\"SPL MEDGUIDE SECTION\"/>\n"
        "          <title>MEDICATION GUIDE</title>\n"
        f"          <text>\n            <paragraph>{body}</paragraph>\n          </text>\n"
        "        </section>\n      </component>\n    </structuredBody>\n  </component>\n"
    )


def billion_laughs() -> str:
    ents = ['  <!ENTITY lol "lol">']
    for i in range(1, 10):
        prev = f"&lol{i - 1};" if i > 1 else "&lol;"
        ents.append(f'  <!ENTITY lol{i} "' + prev * 10 + '">')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + COMMENT +
        "<!DOCTYPE document [\n" + "\n".join(ents) + "\n]>\n"
        f"<document {NS}>\n" + header("01") + medguide("&lol9;") + "</document>\n"
    )


def external_entity() -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + COMMENT +
        "<!DOCTYPE document [\n"
        '  <!ENTITY secret SYSTEM "file:///etc/passwd">\n'
        '  <!ENTITY remote SYSTEM "http://127.0.0.1:9/leafletgen-must-not-fetch">\n'
        "]>\n"
        f"<document {NS}>\n" + header("02") + medguide("&secret; &remote;") + "</document>\n"
    )


def deep_nesting(depth: int = 10_000) -> str:
    open_ = "<component><section>" * depth
    close = "</section></component>" * depth
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + COMMENT +
        f"<document {NS}>\n" + header("03") +
        "  <component>\n    <structuredBody>\n" + open_ +
        f"<code code=\"42231-1\" {LOINC} displayName=\"SPL MEDGUIDE SECTION\"/>"
        "<title>deep</title><text><paragraph>deep</paragraph></text>" + close +
        "\n    </structuredBody>\n  </component>\n</document>\n"
    )


def missing_section() -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + COMMENT +
        f"<document {NS}>\n" + header("04") +
        "  <component>\n    <structuredBody>\n      <component>\n        <section>\n"
        f"          <code code=\"34067-9\" {LOINC} displayName=\"INDICATIONS &amp; USAGE SECTION\"/>\n"
        "          <title>1 INDICATIONS AND USAGE</title>\n"
        "          <text><paragraph>No patient section in this document.</paragraph></text>\n"
        "        </section>\n      </component>\n    </structuredBody>\n  </component>\n"
        "</document>\n"
    )


def utf16() -> bytes:
    text = (
        '<?xml version="1.0" encoding="UTF-16"?>\n' + COMMENT +
        '<!DOCTYPE document [\n  <!ENTITY note "UTF-16 with an internal subset">\n]>\n'
        f"<document {NS}>\n" + header("05") + medguide("&note; \u00ae \u2022") + "</document>\n"
    )
    return text.encode("utf-16")  # with byte-order mark


FILES = {
    "doctype-entities.xml": billion_laughs,
    "external-entity.xml": external_entity,
    "deep-nesting.xml": deep_nesting,
    "missing-section.xml": missing_section,
    "utf16.xml": utf16,
}


def make(folder: Path | str = Path(__file__).resolve().parent) -> list[Path]:
    folder = Path(folder)
    written = []
    for name, build in FILES.items():
        data = build()
        path = folder / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        written.append(path)
    return written


if __name__ == "__main__":
    for p in make(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent):
        print(p, p.stat().st_size)
