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


def test_calendar_settings_are_documented():
    """Every setting of the calendar is in the docs: the database URL and the coordinators in
    docs/deploy.md, each rule of config/calendar.toml in docs/calendar.md."""
    import tomllib

    from dashboard.calendar.config import RULES_FILE
    from dashboard.paths import REPO_ROOT

    deploy = (REPO_ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    for env in ("VALRUMMET_DATABASE_URL", "VALRUMMET_COORDINATORS", "[valrummet.roles]"):
        assert env in deploy, env
    calendar = (REPO_ROOT / "docs" / "calendar.md").read_text(encoding="utf-8")
    rules = tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))
    for section in ("travel", "visits"):
        for key in rules[section]:
            assert f"`{key}`" in calendar, key
