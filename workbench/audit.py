"""The audit log: who changed what, before and after. Written by domain functions, never edited."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from workbench.models import AuditEvent


def record(
    session: Session,
    actor_id: int | None,
    action: str,
    entity_type: str,
    entity_id: int | None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an event to the caller's transaction, so the change and its record land together."""
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id or 0,
        before=before,
        after=after,
    )
    session.add(event)
    return event


def history(session: Session, entity_type: str, entity_id: int) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.created_at, AuditEvent.id)
        ).all()
    )
