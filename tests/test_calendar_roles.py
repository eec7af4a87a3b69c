"""The coordinator role, configured with the users (auth.load_roles / user_roles)."""
from __future__ import annotations

from dashboard import auth


def test_roles_from_secrets_and_environment(monkeypatch):
    secrets = {"valrummet": {"roles": {"coordinator": ["Kim", "bo@example.se"], "annat": "x"}}}
    roles = auth.load_roles({}, secrets)
    assert roles["coordinator"] == frozenset({"kim", "bo@example.se"})
    # the environment wins for the coordinators
    roles = auth.load_roles({"VALRUMMET_COORDINATORS": "sam, mia@example.se"}, secrets)
    assert roles["coordinator"] == frozenset({"sam", "mia@example.se"}) and roles["annat"] == frozenset({"x"})


def test_user_roles_ignore_case_and_the_shared_password(monkeypatch):
    monkeypatch.setenv("VALRUMMET_COORDINATORS", "kim gemensamt")
    monkeypatch.setattr(auth, "_secrets", lambda: {})
    assert auth.user_roles("Kim") == {"coordinator"}
    assert auth.user_roles("mia") == frozenset()
    assert auth.user_roles("gemensamt lösenord") == frozenset()  # no roles without a personal login
    monkeypatch.setattr(auth, "current_user", lambda conf=None: None)
    assert auth.user_roles() == frozenset() and not auth.has_role(auth.COORDINATOR)
