"""Logga in: the way to the internal pages (and out again). The logic lives in dashboard.auth."""
from dashboard import auth, ui

ui.ensure_entrypoint()

auth.login_view()
