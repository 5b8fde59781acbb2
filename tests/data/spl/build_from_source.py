"""Assemble tests/data/spl/rituximab-spl.xml from sources/labels.

The Medication Guide text is read from the source file, line by line, and
placed into SPL elements unchanged (only XML-escaped); nothing is typed here.
Run from the repository root:  python tests/data/spl/build_from_source.py
"""
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[3]
SOURCE = "sources/labels/fda-rituximab-excerpt-medguide-opening.txt"
OUT = Path(__file__).resolve().parent / "rituximab-spl.xml"
BULLET = "\u2022 "

lines = (ROOT / SOURCE).read_text(encoding="utf-8").split("\n")
if lines[-1] == "":
    lines.pop()

# The file's shape (checked, so a changed source fails loudly rather than
# producing a fixture that no longer matches it).
assert lines[0].startswith("RITUXAN- rituximab") and lines[1] == "Genentech, Inc."
assert lines[3] == "----------"
approval = lines[5]
assert approval.startswith("This Medication Guide has been approved")
assert lines[6] == "MEDICATION GUIDE"
title_lines = lines[7:10]                     # RITUXAN® (ri tuk san) / (rituximab) / injection
question = lines[10]
assert question.startswith("What is the most important information")
lead = lines[11]
body = lines[12:]


def bullet(line):
    """(depth, text) of a list line; depth 1 for '  • ', 2 for '    • '."""
    if line.startswith("    " + BULLET):
        return 2, line[len("    " + BULLET):]
    if line.startswith("  " + BULLET):
        return 1, line[len("  " + BULLET):]
    return 0, line


def bold_lead(text):
    """Bold the item's first sentence when it is a short lead-in ("X. ...")."""
    head, sep, rest = text.partition(". ")
    if sep and len(head) < 60:
        return f'<content styleCode="bold">{escape(head + ".")}</content> {escape(rest)}'
    return escape(text)


items = []          # (depth, text, [continuation paragraphs])
for line in body:
    depth, text = bullet(line)
    if depth == 0:
        assert line.startswith("    ") and items, line
        items[-1][2].append(line.strip())
    else:
        items.append((depth, text, []))

xml = []
x = xml.append
i = 0
x('            <list listType="unordered">')
while i < len(items):
    depth, text, paras = items[i]
    assert depth == 1
    j = i + 1
    has_sub = j < len(items) and items[j][0] == 2
    if not paras and not has_sub:
        x("              <item>" + bold_lead(text) + "</item>")
        i = j
        continue
    x("              <item>" + bold_lead(text))
    for p in paras:
        x(f"                <paragraph>{escape(p)}</paragraph>")
    if has_sub:
        x('                <list listType="unordered">')
        while j < len(items) and items[j][0] == 2:
            x(f"                  <item>{escape(items[j][1])}</item>")
            j += 1
        x("                </list>")
    x("              </item>")
    i = j
x("            </list>")

doc = f'''<?xml version="1.0" encoding="UTF-8"?>
<!--
  Test data, not a label as FDA publishes it.

  Assembled from the public-domain Medication Guide text in
  sources/labels/fda-rituximab-excerpt-medguide-opening.txt (the opening of
  the RITUXAN Medication Guide, "Revised: 12/2021", as DailyMed prints it),
  in the document structure the HL7 SPL specification and FDA's SPL
  Implementation Guide describe (document / structuredBody / section with a
  LOINC section code, text with paragraph, list and item). The text of every
  paragraph and item is the source file's, line for line, XML-escaped; the
  file stops where the source excerpt stops, so the Medication Guide here is
  incomplete. The bold markup on item lead-ins is test structure, not a claim
  about the label's typography.

  Ids: setId b172773b-3905-4a1c-ad95-bab4b6126563 is the label's own (DailyMed
  set id of RITUXAN). The document id 00000000-0000-0000-0000-000000000001,
  versionNumber 1 and effectiveTime 20211201 are ILLUSTRATIVE, not the ids of
  any published SPL version. The INDICATIONS & USAGE section is left empty on
  purpose: a reader must pick the patient section by its LOINC code.

  Rebuild with: python tests/data/spl/build_from_source.py
-->
<document xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <id root="00000000-0000-0000-0000-000000000001"/>
  <code code="34391-3" codeSystem="2.16.840.1.113883.6.1" displayName="HUMAN PRESCRIPTION DRUG LABEL"/>
  <title>RITUXAN<sup>®</sup> (rituximab) injection, for intravenous use</title>
  <effectiveTime value="20211201"/>
  <setId root="b172773b-3905-4a1c-ad95-bab4b6126563"/>
  <versionNumber value="1"/>
  <author>
    <time/>
    <assignedEntity>
      <representedOrganization>
        <name>{escape(lines[1])}</name>
      </representedOrganization>
    </assignedEntity>
  </author>
  <component>
    <structuredBody>
      <component>
        <section>
          <id root="00000000-0000-0000-0000-000000000011"/>
          <code code="34067-9" codeSystem="2.16.840.1.113883.6.1" displayName="INDICATIONS &amp; USAGE SECTION"/>
          <title>1 INDICATIONS AND USAGE</title>
          <text/>
        </section>
      </component>
      <component>
        <section>
          <id root="00000000-0000-0000-0000-000000000012"/>
          <code code="42231-1" codeSystem="2.16.840.1.113883.6.1" displayName="SPL MEDGUIDE SECTION"/>
          <title>{escape(lines[6])}</title>
          <text>
            <paragraph>{escape(approval)}</paragraph>
''' + "".join(f'            <paragraph><content styleCode="bold">{escape(t)}</content></paragraph>\n' for t in title_lines) + f'''          </text>
          <component>
            <section>
              <id root="00000000-0000-0000-0000-000000000013"/>
              <title>{escape(question)}</title>
              <text>
                <paragraph><content styleCode="bold">{escape(lead)}</content></paragraph>
''' + "\n".join("    " + l for l in xml) + '''
              </text>
            </section>
          </component>
        </section>
      </component>
    </structuredBody>
  </component>
</document>
'''
OUT.write_text(doc, encoding="utf-8")
print(OUT)
