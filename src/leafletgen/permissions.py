"""What an actor may do: the one place that decides.

Every desk route, API route and command that acts for a person asks
:func:`allowed` with the action it performs. Roles grant actions:

- ``staff`` find, preview and print leaflets (``view``);
- ``editor`` also build, review sources and record permissions;
- ``translation-reviewer`` also approve translations, and only with a
  qualification on record;
- ``admin`` also manage users and portal tokens.

Anyone who may ``view`` may also read the JSON and FHIR API (the desk's own
pages use it). A portal client signed in with a token may only ``read_api``.
"""

from __future__ import annotations

from leafletgen.accounts import Actor

__all__ = ["ACTIONS", "GRANTS", "allowed"]

ACTIONS = (
    "view",
    "build",
    "review_source",
    "record_permission",
    "review_translation",
    "manage_users",
    "manage_tokens",
    "read_api",
)

GRANTS: dict[str, frozenset[str]] = {
    "staff": frozenset({"view", "read_api"}),
    "editor": frozenset({"view", "read_api", "build", "review_source", "record_permission"}),
    "translation-reviewer": frozenset({"view", "read_api", "review_translation"}),
    "admin": frozenset({"view", "read_api", "manage_users", "manage_tokens"}),
}

# A portal client's token reads; it never acts for a person.
TOKEN_ACTIONS = frozenset({"read_api"})


def allowed(actor: Actor, action: str) -> bool:
    """Whether ``actor`` may perform ``action`` (one of :data:`ACTIONS`)."""
    if action not in ACTIONS:
        # a typo in a route must fail loudly, not quietly deny (or allow)
        raise ValueError(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
    if actor.via == "token":
        return action in TOKEN_ACTIONS
    if action == "review_translation" and not (actor.qualification or "").strip():
        return False
    return any(action in GRANTS.get(role, frozenset()) for role in actor.roles)
