"""Shared by the login tests (tests/browser/conftest.py's `auth_server`, test_access.py, test_login.py)."""

LOGIN_PASSWORD = "ett långt gemensamt lösenord"
OIDC_USERS = {"anna": "anna@example.se", "eve": "eve@annat.se"}  # anna is on the allow-list, eve is not
