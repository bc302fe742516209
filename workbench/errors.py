"""The four ways a request can fail that are nobody's bug, one base class each.

Every domain error derives from one of them, so the web maps them once (web/errors.py for pages,
web/api/ for JSON) instead of once per error and per view:

- `NotFound`: what was asked for by id does not exist (404).
- `Refused`: the domain refuses the input; the message says what to fix (422 in the API; on a
  page, the message is shown where the form was).
- `Conflict`: the input was fine but the records moved on: a stale version, a decision already
  made, a variant confirmed without the override, an article already in the archive (409).
- `Invalid`: a request we cannot read at all: a malformed body or filter (400).

Each class has its stable API `code`; `fields()` adds what a client needs besides the message
(the claim's current version, the article that is already there).
"""

from __future__ import annotations

from typing import Any


class WorkbenchError(Exception):
    """A request the workbench cannot carry out; the message says why, as a sentence."""

    status = 500
    code = "error"

    def public_message(self) -> str:
        """What the person or client is told."""
        return str(self)

    def fields(self) -> dict[str, Any]:
        """What a JSON error carries besides its code and message."""
        return {}


class NotFound(WorkbenchError, LookupError):
    """Nothing has the id that was asked for (raised with the id, which is not shown)."""

    status = 404
    code = "not_found"

    def public_message(self) -> str:
        return "There is nothing with that id."


class Refused(WorkbenchError):
    """Input the domain refuses; the message says what to change."""

    status = 422
    code = "invalid"


class Conflict(WorkbenchError):
    """The records changed since the person looked; reloading shows them as they are now."""

    status = 409
    code = "conflict"


class Invalid(WorkbenchError):
    """A request that cannot be read (a malformed body, argument or filter)."""

    status = 400
    code = "bad_request"
