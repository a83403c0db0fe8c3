"""Errors of nemo-testing.

The loopback Hub answers failed requests the way the real Hub does: an HTTP status, an ``X-Error-Code`` header
that ``huggingface_hub`` maps to its exception types, and a JSON body ``{"error": message}``.
"""

from __future__ import annotations


class HubError(Exception):
    """A request the loopback Hub refuses.

    Args:
        status: HTTP status code of the answer.
        message: Human-readable reason, sent as ``X-Error-Message`` and in the JSON body.
        code: Value of the ``X-Error-Code`` header (``RepoNotFound``, ``RevisionNotFound``, ``EntryNotFound``),
            or None for errors the Hub reports by status alone.
        headers: Extra headers of the answer (the Hub sends ``X-Repo-Commit`` with ``EntryNotFound``).
    """

    def __init__(
        self, status: int, message: str, *, code: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = dict(headers or {})


class ServerStateError(RuntimeError):
    """The test server was used in a state that does not allow it (started twice, stopped while not running)."""
