"""``leafletgen sources``: show what a source prints, and record a person's review of it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from leafletgen import accounts, audit
from leafletgen.errors import LeafletError
from leafletgen.project import Project
from leafletgen.review import outline
from leafletgen.translate.catalogs import project_relative


def cmd_sources(args: argparse.Namespace) -> int:
    """``sources show ID``: the outline with every uncertain line marked;
    ``sources review ID``: record a review under the name and role given."""
    if args.project is not None and not Path(args.project).is_dir():
        raise LeafletError("no such project folder", args.project)
    project = Project.find(args.project if args.project is not None else ".")
    if args.action == "show":
        source = outline.read_raw(project.sources, args.id)
        print(outline.marked_outline(source, project_relative(source.raw.path, project.root)))
        return 0
    if not args.reviewer or not args.role:
        raise LeafletError("sources review needs --reviewer NAME and --role ROLE")
    # the reviewer is a desk user who may review sources (an editor), never a typed name
    actor = accounts.user_actor(project.root, args.reviewer, role="editor")
    review, warnings = outline.record_review(
        project.sources, args.id, reviewer=actor.name, role=args.role,
        exclude=args.exclude, keep=args.keep,
    )  # fmt: skip
    what = {
        "source": review.source,
        "reviewer": review.reviewer,
        "role": review.role,
        "date": review.date,
        "excluded": len(review.excluded),
        "kept": len(review.kept),
    }
    audit.append_cli(project.root, "sources.review", what, [project.sources / "reviews.yaml"])
    print(
        f"{project_relative(project.sources / 'reviews.yaml', project.root)}: "
        f"{review.source} reviewed by {review.reviewer} ({review.role}) on {review.date}: "
        f"{len(review.excluded)} unit(s) excluded, {len(review.kept)} kept on purpose"
    )
    for warning in warnings:
        print(f"warning: {warning}")
    return 0


def add_sources_command(commands: Any) -> None:
    """``sources show|review ID``."""
    sources = commands.add_parser(
        "sources", help="review what a source prints: show its outline, record a review"
    )
    sources.add_argument("action", choices=("show", "review"))
    sources.add_argument("id", metavar="ID", help="a source id of sources.yaml")
    sources.add_argument(
        "--reviewer", help="review: the reviewer, a desk user with the role editor"
    )
    sources.add_argument("--role", help="review: the reviewer's role, e.g. 'oncology nurse'")
    for flag, what in (("exclude", "leave out of every leaflet"), ("keep", "print on purpose")):
        sources.add_argument(
            f"--{flag}", action="append", type=int, default=[], metavar="LINE",
            help=f"review: the unit starting on LINE, to {what} (repeatable)",
        )  # fmt: skip
    sources.add_argument("--project", help="project folder (default: here)")
    sources.set_defaults(run=cmd_sources)
