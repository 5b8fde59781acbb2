"""``leafletgen inspect``: a parsed document as readable text or as JSON."""

from __future__ import annotations

from typing import Any

from leafletgen.model import Document


def document_json(document: Document) -> dict[str, Any]:
    """The documented ``inspect --json`` shape of a parsed document."""
    return {
        "title": document.title,
        "publisher": document.publisher,
        "url": document.url,
        "language": document.language,
        "last_reviewed": document.last_reviewed.isoformat() if document.last_reviewed else None,
        "next_review": document.next_review.isoformat() if document.next_review else None,
        "sections": [
            {
                "heading": section.heading,
                "kind": section.kind,
                "line": section.line,
                "blocks": [
                    {"type": "list", "items": list(block.items), "line": block.line}
                    if block.type == "list"
                    else {"type": "paragraph", "text": block.text, "line": block.line}
                    for block in section.blocks
                ],
            }
            for section in document.sections
        ],
        "warnings": [{"line": w.line, "message": w.message} for w in document.warnings],
        "furniture": [
            {"line": f.line, "kinds": list(f.kinds), "text": f.text} for f in document.furniture
        ],
    }


def document_text(document: Document) -> str:
    """A readable outline of a parsed document."""
    lines = [
        f"{document.title or '(untitled)'} — {document.publisher or 'unknown publisher'}",
        f"  url: {document.url or '-'}   language: {document.language}",
        f"  last reviewed: {document.last_reviewed or '-'}"
        f"   next review: {document.next_review or '-'}",
    ]
    for section in document.sections:
        lines.append(f"\n{section.line:>4}  [{section.kind}] {section.heading or '(no heading)'}")
        for block in section.blocks:
            if block.type == "list":
                for number, item in enumerate(block.items):
                    marker = f"{block.line:>4}" if number == 0 else "    "
                    lines.append(f"{marker}    • " + item.replace("\n", "\n        "))
            else:
                lines.append(f"{block.line:>4}    {block.text}")
    for warning in document.warnings:
        lines.append(f"warning: {document.path}:{warning.line}: {warning.message}")
    for flag in document.furniture:
        lines.append(f"warning: {document.path}:{flag.line}: {flag.message}")
    return "\n".join(lines)
