"""What the desk remembers between requests of a signed-in person: sessions,
and failed sign-ins counted per user name and per client address.

Both live in the server's memory only: a restart signs everyone out, and
nothing here is ever written to disk. A session id is random
(``secrets.token_urlsafe``) and kept only as its SHA-256, so even a dump of
the server's memory does not hand out sessions. Both stores are bounded, so
a flood of requests cannot grow them without limit.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

MAX_SESSIONS = 10_000
MAX_TRACKED = 10_000  # user names and addresses with recent failures


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()


@dataclass
class Session:
    """One signed-in person's session: who, its CSRF token, and when it was made and last used."""

    name: str
    csrf: str = field(repr=False)
    created: float
    seen: float


class SessionStore:
    """Sessions that expire after ``idle`` seconds unused or ``lifetime`` seconds in all."""

    def __init__(self, idle: float, lifetime: float) -> None:
        self.idle = idle
        self.lifetime = lifetime
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def create(self, name: str) -> tuple[str, Session]:
        """A new session for ``name``: its id (for the cookie, never stored) and the session."""
        session_id = secrets.token_urlsafe(32)
        now = time.monotonic()
        session = Session(name=name, csrf=secrets.token_urlsafe(32), created=now, seen=now)
        with self._lock:
            self._sessions[_digest(session_id)] = session
            while len(self._sessions) > MAX_SESSIONS:  # the oldest go first
                self._sessions.popitem(last=False)
        return session_id, session

    def get(self, session_id: str) -> Session | None:
        """The live session ``session_id``, marked as used now; ``None`` if unknown or expired."""
        key = _digest(session_id)
        now = time.monotonic()
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                return None
            if now - session.seen > self.idle or now - session.created > self.lifetime:
                del self._sessions[key]
                return None
            session.seen = now
            self._sessions.move_to_end(key)
            return session

    def drop(self, session_id: str) -> Session | None:
        """End the session ``session_id`` (sign-out); the session it was, if any."""
        with self._lock:
            return self._sessions.pop(_digest(session_id), None)

    def drop_user(self, name: str) -> None:
        """End every session of ``name`` (the user was disabled or removed)."""
        with self._lock:
            for key in [k for k, s in self._sessions.items() if s.name == name]:
                del self._sessions[key]


class FailureLimiter:
    """At most ``limit`` failures per key within ``window`` seconds; then the key waits."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._lock = threading.Lock()
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, key: str) -> float:
        """Seconds ``key`` must wait before it may try again (0: it may try now)."""
        now = time.monotonic()
        with self._lock:
            times = self._failures.get(key)
            if times is None:
                return 0.0
            while times and now - times[0] > self.window:
                times.popleft()
            if not times:
                del self._failures[key]
                return 0.0
            return max(0.0, times[0] + self.window - now) if len(times) >= self.limit else 0.0

    def fail(self, key: str) -> None:
        """Count one failure of ``key``."""
        with self._lock:
            times = self._failures.setdefault(key, deque(maxlen=self.limit))
            times.append(time.monotonic())
            self._failures.move_to_end(key)
            while len(self._failures) > MAX_TRACKED:
                self._failures.popitem(last=False)

    def clear(self, key: str) -> None:
        """Forget the failures of ``key`` (it signed in)."""
        with self._lock:
            self._failures.pop(key, None)
