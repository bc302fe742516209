"""The models' own rules that are not the database's: the order of roles."""

from __future__ import annotations

import pytest

from workbench.models import Role


def test_roles_compare_by_what_they_may_do() -> None:
    assert Role.VIEWER < Role.EDITOR < Role.ADMIN
    assert Role.ADMIN >= Role.EDITOR and Role.EDITOR >= Role.EDITOR
    assert not Role.VIEWER >= Role.EDITOR
    assert Role.EDITOR <= Role.ADMIN and Role.ADMIN > Role.VIEWER
    assert sorted(Role) == [Role.VIEWER, Role.EDITOR, Role.ADMIN]
    assert max(Role) == Role.ADMIN


def test_a_role_is_still_its_stored_text() -> None:
    assert Role.EDITOR == "editor" and Role("admin") is Role.ADMIN
    assert {Role.VIEWER: 1}["viewer"] == 1


@pytest.mark.parametrize("other", ["viewer", "admin", 1, None])
def test_a_role_does_not_compare_with_a_string_or_a_number(other: object) -> None:
    role = Role.VIEWER
    with pytest.raises(TypeError):
        _ = role < other  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = other >= role  # type: ignore[operator]  (a string tries the role's own method first)
