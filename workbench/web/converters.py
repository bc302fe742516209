"""Ids in URLs: a number the database cannot hold names no record, so it is a 404, not a 500.

Record ids are 32-bit INTEGER columns on PostgreSQL (SQLite's are 64-bit). Handed a bigger number,
PostgreSQL refuses the query and SQLite's driver raises OverflowError, both 500s; so the URL rule
itself refuses it, and the route is simply not found. The same bound serves ids read from query
arguments.
"""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map

from workbench.review.filter_args import ID_DIGITS_MAX, ID_MAX


def at_most(limit: int) -> str:
    """A regular expression for the decimal numbers from 0 to `limit` (leading zeros allowed).

    The bound is in the pattern, not only in `to_python`: a rule whose converter refuses a value
    still counts as matched for its method, so a number out of range on a path that has a PATCH
    and a DELETE rule would answer 405 instead of 404."""
    digits = str(limit)
    branches = [rf"\d{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for index, digit in enumerate(digits):
        if digit != "0":
            rest = len(digits) - index - 1
            tail = rf"\d{{{rest}}}" if rest else ""
            branches.append(f"{digits[:index]}[0-{int(digit) - 1}]{tail}")
    branches.append(digits)
    return "(?:" + "|".join(branches) + ")"


ID_PATTERN = at_most(ID_MAX)


class RecordIdConverter(IntegerConverter):
    """`<int:...>` in every blueprint: a whole number from 0 to ID_MAX; anything longer or larger
    does not match the rule (a 404 page, or the API's JSON 404)."""

    regex = ID_PATTERN

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = ID_MAX,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)
        self.regex = type(self).regex  # signed=True would have widened it


def record_id(text: str) -> int:
    """A record id from a query argument (`request.args.get(name, type=record_id)` gives None for
    anything else): ValueError unless it is a whole number the database can hold."""
    if not (text.isascii() and text.isdigit() and len(text) <= ID_DIGITS_MAX):
        raise ValueError(text)
    number = int(text)
    if number > ID_MAX:
        raise ValueError(text)
    return number
