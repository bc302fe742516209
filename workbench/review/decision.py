"""What the tool knows that changes an editor's work on a claim, gathered for the banner at the
top of its page: a pending suggestion that it repeats a checked claim (with that verdict), a
pending variant (with the fact that differs), and the claim's unread alerts.

"Checked" means an approved verdict, as everywhere (see alerts.rules): a repeat of a claim whose
verdict is a draft or was sent back is an ordinary suggestion, and stays out of the banner.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from workbench.alerts import rules as alert_rules
from workbench.models import Claim, SuggestionState, Verdict
from workbench.review.duplicates import SuggestionView, effective_verdict


@dataclass(frozen=True)
class Match:
    """A pending suggestion seen from the claim, with the verdict the other claim shows."""

    view: SuggestionView
    verdict: Verdict | None  # approved, its own or its cluster's; None if not checked
    checked: Claim | None  # whose verdict it is: the other claim or its cluster's canonical one


@dataclass(frozen=True)
class DecisionBanner:
    repeats: list[Match]  # pending duplicates of a checked claim, best first
    variants: list[Match]  # pending variants, checked or not; `view.facts` says what differs
    alerts: list[alert_rules.AlertView]  # unread, on this claim
    # The suggestion the c and x keys act on: the first one listed under "Possible duplicates",
    # when it is pending. The banner carries the keys only for that one, so a key does the same
    # thing whichever place shows it.
    first_pending_id: int | None

    @property
    def empty(self) -> bool:
        return not (self.repeats or self.variants or self.alerts)


def decision_banner(
    session: Session, claim: Claim, suggestions: list[SuggestionView]
) -> DecisionBanner:
    """The banner's items for `claim`, from its suggestions as `duplicates.suggestions_for` lists
    them (pending first, best first) and its unread alerts."""
    matches = []
    for view in suggestions:
        if view.suggestion.state == SuggestionState.PENDING:
            shown = effective_verdict(session, view.other)
            checked = (shown.inherited_from or view.other) if shown.verdict else None
            matches.append(Match(view, shown.verdict, checked))
    first = suggestions[0].suggestion if suggestions else None
    return DecisionBanner(
        repeats=[m for m in matches if not m.view.variant and m.verdict is not None],
        variants=[m for m in matches if m.view.variant],
        alerts=alert_rules.unread_for_claim(session, claim.id),
        first_pending_id=first.id if first and first.state == SuggestionState.PENDING else None,
    )
