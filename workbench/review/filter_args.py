"""Claim filters from URL query arguments: the inverse of `ClaimFilters.as_query()`.

The export page, the export download and the JSON API read filters from the same arguments, so a
link copied from one works in the others; a value that cannot be read is refused with a sentence
(never silently dropped: an export that quietly ignored a filter would hand out the wrong claims).

`status` takes a status, `open` (new or in review: not dismissed, not resolved) or `all`. Without
it the export and the API give every status, as they always have; only the queue's page reads a
missing status as `open` (web/claims.py), so an editor's default view is what still needs work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import UTC, date, datetime

from workbench.errors import Invalid
from workbench.models import ClaimStatus, Verdict
from workbench.review.queue import UNASSIGNED, ClaimFilters, StatusGroup
from workbench.shapes import ID_MAX

FILTER_NAMES = tuple(f.name for f in fields(ClaimFilters))
TEXT_MAX = 500
OUTLET_MAX = 200
CLAIMANT_MAX = 200
ID_DIGITS_MAX = len(str(ID_MAX))


class FilterError(Invalid, ValueError):
    """A filter value that cannot be read; the message names the argument and what it takes."""

    code = "bad_filter"


def filters_from_args(args: Mapping[str, str]) -> ClaimFilters:
    """ClaimFilters from query arguments; empty arguments mean "no filter"."""
    values: dict[str, object] = {}
    for name in FILTER_NAMES:
        raw = args.get(name)
        if raw is None or not str(raw).strip():
            continue
        values[name] = _parse(name, str(raw).strip())
    return ClaimFilters(**values)  # type: ignore[arg-type]


def _parse(name: str, raw: str) -> object:
    if "\x00" in raw:
        raise FilterError(f"{name} cannot contain NUL characters.")
    if name == "status":
        if raw in tuple(StatusGroup):
            return StatusGroup(raw)  # open: new or in review; all: every status
        return _choice(name, raw, ClaimStatus, also=tuple(StatusGroup))
    if name == "verdict":
        return _choice(name, raw, Verdict)
    if name in ("article_id", "cluster_id", "feed_id"):
        return parse_id(name, raw)
    if name == "assignee":
        return UNASSIGNED if raw == UNASSIGNED else parse_id(name, raw)
    if name == "outlet":
        if len(raw) > OUTLET_MAX:
            raise FilterError(f"outlet may be at most {OUTLET_MAX} characters.")
        return raw
    if name == "claimant":
        if len(raw) > CLAIMANT_MAX:
            raise FilterError(f"claimant may be at most {CLAIMANT_MAX} characters.")
        return raw
    if name == "text":
        if len(raw) > TEXT_MAX:
            raise FilterError(f"text may be at most {TEXT_MAX} characters.")
        return raw
    return parse_time(name, raw)


def _choice(
    name: str, raw: str, enum: type[ClaimStatus] | type[Verdict], also: tuple[str, ...] = ()
) -> object:
    try:
        return enum(raw)
    except ValueError:
        choices = ", ".join([*(member.value for member in enum), *also])
        raise FilterError(f"{name} must be one of: {choices}.") from None


def parse_id(name: str, raw: str) -> int:
    """A positive whole number in ASCII digits (str.isdigit() also passes "²")."""
    if not (raw.isascii() and raw.isdigit() and len(raw) <= ID_DIGITS_MAX):
        raise FilterError(f"{name} must be a positive whole number.")
    if not 1 <= int(raw) <= ID_MAX:
        raise FilterError(f"{name} must be a whole number from 1 to {ID_MAX}.")
    return int(raw)


def parse_time(name: str, raw: str) -> datetime:
    """A date (midnight UTC) or an ISO 8601 time; a time without a zone is read as UTC."""
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise FilterError(
            f"{name} must be a date like 2026-01-31 or a time like 2026-01-31T12:00:00+00:00."
        ) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise FilterError(f"{name} is out of range.") from None
