"""Login, settings, slow-down, the clear_cache guard, meeting screens, the hand-out and the
launcher – in process (AppTest and plain functions). The browser and protocol tests cover the
same paths on a real server."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import auth, meeting, serve
from dashboard import queries as q
from dashboard.page_registry import INTERNAL_PAGES

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")
PASSWORD = "en lång och hemlig lösenfras"


@pytest.fixture(scope="module")
def shared_hash() -> str:
    return auth.hash_password(PASSWORD)


@pytest.fixture
def no_auth_env(monkeypatch):
    for key in ("VALRUMMET_REQUIRE_LOGIN", "VALRUMMET_PASSWORD_HASH", "VALRUMMET_USERS",
                "VALRUMMET_ALLOWED_EMAILS", "VALRUMMET_ALLOWED_DOMAINS", "VALRUMMET_ALLOW_ANY_ACCOUNT"):
        monkeypatch.delenv(key, raising=False)
    return monkeypatch


# --- passwords and settings ---------------------------------------------------------------------


def test_hashes_are_salted_argon2id_and_verify(shared_hash):
    assert shared_hash.startswith("$argon2id$")
    assert auth.hash_password(PASSWORD) != shared_hash  # a new salt every time
    assert auth.verify_password(shared_hash, PASSWORD)
    assert not auth.verify_password(shared_hash, PASSWORD + " ")
    assert not auth.verify_password("inte en hash", PASSWORD)


def test_settings_from_secrets_and_environment(shared_hash):
    other = auth.hash_password("annat lösenord för bo")
    secrets = {
        "valrummet": {"require_login": True, "password_hash": shared_hash,
                      "users": {"Anna": shared_hash}, "allowed_domains": ["Example.se"]},
        "auth": {**AUTH, "google": GOOGLE},
    }
    conf = auth.load_settings({}, secrets)
    assert conf.require_login and conf.password_login and conf.oidc_providers == ("google",)
    assert set(conf.users) == {"anna"} and conf.display_names["anna"] == "Anna"
    assert conf.allowed_domains == frozenset({"example.se"})
    # The environment wins, and adds people.
    env = {"VALRUMMET_REQUIRE_LOGIN": "0", "VALRUMMET_USERS": f"bo:{other}\nAnna:{other}"}
    conf = auth.load_settings(env, secrets)
    assert conf.require_login is False
    assert conf.users == {"anna": other, "bo": other}
    # A single unnamed provider.
    assert auth.load_settings({}, {"auth": {**AUTH, **GOOGLE}}).oidc_providers == ("",)
    assert not auth.load_settings({}, {}).any_login


# Streamlit's [auth] section as a real deployment has it (no secret of anyone's: made up).
AUTH = {"redirect_uri": "https://valrummet.vansterpartiet-sthlm.se/oauth2callback", "cookie_secret": "3f9a" * 16}
GOOGLE = {"client_id": "1234567890-abcdefg.apps.googleusercontent.com", "client_secret": "GOCSPX-abcdefghijkl",
          "server_metadata_url": "https://accounts.google.com/.well-known/openid-configuration"}


@pytest.mark.parametrize("auth_section, why", [
    # secrets.toml.example's fill-in values, as copied before issue 18
    ({"redirect_uri": "https://valrummet.example.se/oauth2callback", "cookie_secret": "BYT-TILL-ETT-LÅNGT-SLUMPVÄRDE",
      "google": {**GOOGLE, "client_id": "BYT-client-id", "client_secret": "BYT-client-secret"}}, "redirect_uri"),
    ({**AUTH, "google": {**GOOGLE, "client_id": "BYT-client-id"}}, "client_id"),
    ({**AUTH, "google": {**GOOGLE, "client_secret": ""}}, "client_secret"),
    ({**AUTH, "google": {**GOOGLE, "server_metadata_url": "BYT"}}, "server_metadata_url"),
    # Streamlit signs its identity cookie with cookie_secret: a known or short one lets anyone
    # forge a login, so the provider is not offered.
    ({**AUTH, "cookie_secret": "BYT-TILL-ETT-LÅNGT-SLUMPVÄRDE", "google": GOOGLE}, "cookie_secret"),
    ({**AUTH, "cookie_secret": "kort", "google": GOOGLE}, "cookie_secret"),
])
def test_oidc_provider_with_example_values_is_ignored_and_logged(auth_section, why, caplog):
    auth._LOGGED_ONCE.clear()
    with caplog.at_level("WARNING", logger="dashboard.auth"):
        conf = auth.load_settings({}, {"auth": auth_section})
        auth.load_settings({}, {"auth": auth_section})  # read on every run: logged once
    assert conf.oidc_providers == () and not conf.any_login
    lines = [r.getMessage() for r in caplog.records if "OIDC provider" in r.getMessage()]
    assert len(lines) == 1 and why in lines[0] and "[auth.google] ignored" in lines[0]
    assert auth.load_settings({}, {"auth": {**AUTH, "google": GOOGLE}}).oidc_providers == ("google",)


def test_login_lifetime_settings():
    assert auth.load_settings({}, {}).login_days == 14
    conf = auth.load_settings({"VALRUMMET_LOGIN_DAYS": "0,5", "VALRUMMET_LOGIN_SECRET": "s" * 40},
                              {"valrummet": {"login_days": 30, "login_secret": "t" * 40}})
    assert conf.login_days == 0.5 and conf.login_secret == "s" * 40  # the environment wins
    assert "s" * 40 not in repr(conf)  # the secret never reaches a log line through the settings
    assert auth.load_settings({}, {"valrummet": {"login_days": 30}}).login_days == 30
    for bad in ("två veckor", "-1", "nan"):
        with pytest.raises(auth.AuthConfigError, match="VALRUMMET_LOGIN_DAYS ska vara"):
            auth.load_settings({"VALRUMMET_LOGIN_DAYS": bad}, {})
    with pytest.raises(auth.AuthConfigError, match=r"\[valrummet\] login_days ska vara"):
        auth.load_settings({}, {"valrummet": {"login_days": "x"}})


def test_plain_text_password_in_settings_is_refused_with_the_setting_named():
    with pytest.raises(auth.AuthConfigError) as exc:
        auth.load_settings({"VALRUMMET_PASSWORD_HASH": "hemligt"}, {})
    assert "VALRUMMET_PASSWORD_HASH ska vara en argon2-hash" in str(exc.value)
    with pytest.raises(auth.AuthConfigError) as exc:
        auth.load_settings({}, {"valrummet": {"users": {"anna": "hemligt"}}})
    assert "[valrummet.users] anna" in str(exc.value)
    with pytest.raises(auth.AuthConfigError) as exc:
        auth.load_settings({"VALRUMMET_USERS": "anna"}, {})
    assert "VALRUMMET_USERS, post 1: skriv namn:hash" in str(exc.value)


def test_oidc_allow_list():
    conf = auth.Settings(oidc_providers=("",), allowed_emails=frozenset({"anna@a.se"}),
                         allowed_domains=frozenset({"v.se"}))
    assert auth.oidc_allowed(conf, "Anna@A.se")
    assert auth.oidc_allowed(conf, "bo@v.se")
    assert not auth.oidc_allowed(conf, "bo@vv.se")
    assert not auth.oidc_allowed(conf, None)
    assert not auth.oidc_allowed(auth.Settings(oidc_providers=("",)), "anna@a.se")  # no list: nobody
    assert auth.oidc_allowed(auth.Settings(oidc_providers=("",), allow_any_account=True), "x@y.se")


# --- slow-down ---------------------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_throttle_doubles_the_wait_after_three_failures_and_forgets_on_success():
    clock = Clock()
    t = auth.Throttle(free=3, base=2.0, cap=300.0, clock=clock)
    assert [t.failed("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert t.failed("k") == 2.0
    assert t.wait("k") == 2.0
    clock.t += 2.0
    assert t.wait("k") == 0.0
    assert [t.failed("k") for _ in range(3)] == [4.0, 8.0, 16.0]
    assert [t.failed("k") for _ in range(6)][-1] == 300.0  # capped
    assert t.wait("other") == 0.0
    t.succeeded("k")
    assert t.wait("k") == 0.0 and t.failed("k") == 0.0


def test_check_password_messages_and_slow_down(shared_hash):
    conf = auth.load_settings({"VALRUMMET_PASSWORD_HASH": shared_hash}, {})
    clock = Clock()
    t = auth.Throttle(clock=clock)
    ok = auth.check_password(conf, "", PASSWORD, "10.0.0.1", t, session="tab1")
    assert ok.ok and ok.user == "gemensamt lösenord"
    results = [auth.check_password(conf, "", "fel", "10.0.0.1", t, session="tab1") for _ in range(4)]
    assert [r.message for r in results[:3]] == ["Fel lösenord."] * 3
    assert results[3].message == "Fel lösenord. Vänta 2 sekunder innan nästa försök."
    # While the wait lasts even the right password is not tried in that tab.
    blocked = auth.check_password(conf, "", PASSWORD, "10.0.0.1", t, session="tab1")
    assert not blocked.ok
    assert blocked.message == "För många felaktiga försök. Vänta 2 sekunder och försök igen."
    # Someone else in the same room (same address, another tab) is not locked out (issue 16),
    # nor is another address; the success resets the room's count for that name.
    assert auth.check_password(conf, "", PASSWORD, "10.0.0.1", t, session="tab2").ok
    assert auth.check_password(conf, "", PASSWORD, "10.0.0.2", t, session="tab3").ok
    clock.t += 2
    assert auth.check_password(conf, "", PASSWORD, "10.0.0.1", t, session="tab1").ok
    assert t.wait("s|tab1") == 0.0


def test_a_guesser_opening_tab_after_tab_meets_the_wait_after_twenty(shared_hash):
    conf = auth.load_settings({"VALRUMMET_PASSWORD_HASH": shared_hash}, {})
    t = auth.Throttle(clock=Clock())
    free = auth.ADDRESS_TIER.free
    results = [auth.check_password(conf, "", "fel", "10.0.0.9", t, session=f"tab{i}") for i in range(free + 2)]
    assert [r.message for r in results[:free]] == ["Fel lösenord."] * free
    assert results[free].message == "Fel lösenord. Vänta 2 sekunder innan nästa försök."
    assert results[free + 1].message.startswith("För många felaktiga försök.")
    # The name at that address waits; the same name elsewhere, and other names, do not.
    assert not auth.check_password(conf, "", PASSWORD, "10.0.0.9", t, session="ny").ok
    assert auth.check_password(conf, "", PASSWORD, "10.0.0.8", t, session="ny2").ok


def test_check_and_record_are_one_step_across_threads_and_processes(shared_hash, tmp_path):
    """50 parallel guesses: exactly free + 1 are verified, however they interleave (the check
    and the record are one step), in one process and in a file shared by processes."""
    import concurrent.futures
    import subprocess
    import sys

    conf = auth.load_settings({"VALRUMMET_PASSWORD_HASH": shared_hash}, {})
    for t in (auth.Throttle(), auth.Throttle(path=tmp_path / "t.sqlite")):
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda i: auth.check_password(conf, "", "fel", "10.1.1.1", t, session=f"s{i}"),
                                    range(50)))
        verified = [r for r in results if not r.message.startswith("För många")]
        assert len(verified) == auth.ADDRESS_TIER.free + 1
    code = (
        "import sys; from pathlib import Path; from dashboard import auth\n"
        "t = auth.Throttle(path=Path(sys.argv[1]))\n"
        "print(sum(t.attempt({'a|x|10.2.2.2': auth.ADDRESS_TIER.free})[0] == 0 for _ in range(15)))\n"
    )
    shared = tmp_path / "shared.sqlite"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(shared)], stdout=subprocess.PIPE, text=True)
             for _ in range(3)]
    passed = sum(int(p.communicate(timeout=60)[0]) for p in procs)
    assert passed == auth.ADDRESS_TIER.free + 1  # 45 attempts from three processes, one budget


def test_per_person_passwords(shared_hash):
    conf = auth.load_settings({"VALRUMMET_USERS": f"Anna:{shared_hash}"}, {})
    t = auth.Throttle()
    assert auth.check_password(conf, "anna", PASSWORD, "c", t).user == "Anna"
    wrong = auth.check_password(conf, "anna", "fel", "c", t)
    assert (wrong.ok, wrong.message) == (False, "Fel namn eller lösenord.")
    unknown = auth.check_password(conf, "okänd", PASSWORD, "c", t)
    assert (unknown.ok, unknown.message) == (False, "Fel namn eller lösenord.")
    # No shared password configured: an empty name is just wrong.
    assert not auth.check_password(conf, "", PASSWORD, "c", t).ok


# --- the clear_cache guard and the warehouse --------------------------------------------------------


def test_clear_cache_message_is_ignored():
    from streamlit.runtime.app_session import AppSession

    calls = []

    @st.cache_resource
    def expensive():
        calls.append(1)
        return object()

    first = expensive()
    assert auth.guard_clear_cache() is True
    AppSession._handle_clear_cache_request(object())  # what a client's clear_cache runs
    assert expensive() is first and len(calls) == 1


def test_available_specs_skip_missing_files():
    from dashboard.page_registry import PageSpec

    fake = PageSpec("pages/internal/finns_inte.py", "Finns inte", ":material/block:", "finns_inte", "")
    present = auth.available_specs([*INTERNAL_PAGES, fake])
    assert fake not in present
    assert [s.url_path for s in present] == [s.url_path for s in INTERNAL_PAGES if (REPO / s.path).is_file()]


# --- the app in AppTest ----------------------------------------------------------------------------


def run(page: str | None = None, user: str | None = None, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    if page:
        at.switch_page(page)
    for key, value in params.items():
        at.query_params[key] = value
    if user:
        at.session_state["_valrummet_user"] = {"name": user, "method": "lösenord"}
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def test_anonymous_internal_page_does_not_run(no_auth_env, shared_hash):
    no_auth_env.setenv("VALRUMMET_PASSWORD_HASH", shared_hash)
    for spec in INTERNAL_PAGES:
        at = run(spec.path)  # AppTest asks by page hash only
        # The internal page is not registered and its hash is answered like any unknown hash
        # (issue 16): the default page, nothing about the internal one. By path the login
        # stands in (tests/test_protocol_access.py).
        assert titles(at) == ["Hur gick det i Storstockholm?"], spec.path


def test_logged_in_viewer_gets_the_internal_page_and_a_logout_button(no_auth_env, shared_hash):
    no_auth_env.setenv("VALRUMMET_PASSWORD_HASH", shared_hash)
    at = run("pages/internal/tidningar.py", user="anna")
    assert titles(at) == ["Hänger tidningarna ihop med förändringen?"]
    assert at.button(key="logga_ut").label == "Logga ut"


def test_login_page_without_configuration_says_so(no_auth_env):
    at = run("pages/logga_in.py")
    assert titles(at) == ["Logga in"]
    assert at.warning[0].value.startswith("Inloggning är inte inställd på den här servern")
    assert len(at.text_input) == 0


def test_login_page_with_broken_configuration_says_where(no_auth_env):
    no_auth_env.setenv("VALRUMMET_PASSWORD_HASH", "hemligt")
    at = run("pages/logga_in.py")
    assert at.error[0].value.startswith("Inloggningen är felinställd: VALRUMMET_PASSWORD_HASH ska vara en argon2-hash")
    # The public pages still work.
    assert titles(run()) == ["Hur gick det i Storstockholm?"]


def test_login_form_fields(no_auth_env, shared_hash):
    no_auth_env.setenv("VALRUMMET_USERS", f"anna:{shared_hash}")
    no_auth_env.setenv("VALRUMMET_PASSWORD_HASH", shared_hash)
    at = run("pages/logga_in.py")
    assert [t.label for t in at.text_input] == ["Namn", "Lösenord"]
    assert at.button[0].label == "Logga in"


def test_login_page_says_how_long_a_login_lasts(no_auth_env, shared_hash):
    """In process (AppTest, like plain `streamlit run`) there is no cookie route: per tab."""
    no_auth_env.setenv("VALRUMMET_PASSWORD_HASH", shared_hash)
    no_auth_env.setenv("VALRUMMET_LOGIN_SECRET", "k3Jq9vXr2LmN8pQs4TtWz6YbC1dEfGhI0aKoPuRy")
    at = run("pages/logga_in.py")
    assert "Inloggningen gäller den här fliken: en ny flik eller en omladdning frågar igen." in [
        c.value for c in at.caption]


def test_oidc_button_names_a_missing_package_in_swedish(no_auth_env, monkeypatch):
    """Without httpx Streamlit's login route answered a bare "Internal Server Error": the
    button checks first and says which package is missing."""
    monkeypatch.setattr(auth, "_secrets", lambda: {"auth": {**AUTH, "google": GOOGLE}})
    monkeypatch.setattr(auth, "oidc_missing_package", lambda: "httpx")
    at = AppTest.from_file(str(REPO / "pages" / "logga_in.py"), default_timeout=60)  # the page alone
    at.run()
    at.button(key="vr_oidc_google").click().run()
    assert not at.exception
    assert at.error[0].value.startswith("Inloggning med Google fungerar inte på servern: paketet httpx saknas.")
    monkeypatch.undo()
    assert auth.oidc_missing_package() is None  # this installation has Authlib and httpx


def test_require_login_for_everything(no_auth_env, shared_hash):
    no_auth_env.setenv("VALRUMMET_PASSWORD_HASH", shared_hash)
    no_auth_env.setenv("VALRUMMET_REQUIRE_LOGIN", "1")
    assert titles(run()) == ["Logga in"]
    assert titles(run("pages/kommuner.py")) == ["Logga in"]
    assert titles(run(user="anna")) == ["Hur gick det i Storstockholm?"]


# --- meeting mode ----------------------------------------------------------------------------------


def values(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def test_meeting_overview_screens(no_auth_env):
    at = run(mote="1", period="2018-2022")  # an old link reproduces its screens
    assert values(at)[:3] == ["Vänsterpartiet · Regionvalet 2022 · Region Stockholm (hela länet)", "11,58 %",
                              "▲ +1,01 p.e. sedan 2018"]
    assert at.caption[0].value == "Skärm 1 av 10"
    assert len(at.get("plotly_chart")) == 0 and len(at.get("arrow_data_frame")) == 0
    at = run(mote="1", skarm="4", period="2018-2022")  # the kommun election: how many municipalities rose
    assert values(at)[:3] == ["Vänsterpartiet · Kommunvalet 2018 → 2022 · kommunerna", "Upp i 23 av 26", "ned i 3"]
    at.button(key="mote_nasta").click().run()
    assert at.query_params["skarm"] == "5"


def test_meeting_kommun_screens_with_seats(no_auth_env):
    at = run("pages/kommuner.py", mote="1", kommun="Botkyrka", skarm="2", period="2018-2022")
    assert values(at)[:3] == ["Vänsterpartiet · Botkyrka · kommunfullmäktige 2022", "8 av 75 mandat",
                              "274 röster till ett mandat till · marginal på sista mandatet 434 röster"]


def test_overview_slides_are_built_from_the_overview_view():
    slides = meeting.overview_slides(q.overview_view(2018, 2022, "V"), "Vänsterpartiet", 2018, 2022)
    by_kicker = {s.kicker: s for s in slides}
    stad = by_kicker["Vänsterpartiet · Riksdagsvalet 2022 · Riksdagsvalkretsen Stockholms kommun (= Stockholms stad)"]
    assert (stad.value, stad.detail) == ("11,73 %", "▼ −1,39 p.e. sedan 2018")
    up_all = by_kicker["Vänsterpartiet · 2018 → 2022 · ökade i alla tre valen"]
    assert "Järfälla" in up_all.value.split(", ")


# --- the hand-out -------------------------------------------------------------------------------------


def test_handout_public(no_auth_env):
    at = run("pages/utskrift.py", kommun="Botkyrka", period="2018-2022")  # an old link reproduces its sheet
    assert titles(at) == ["Botkyrka: Vänsterpartiet 2018 → 2022"]
    table = at.table[0].value.T.replace("\u00a0", " ", regex=True)  # a row per measure, no-break spaces
    assert table.loc["Kommunval", "Andel 2018"] == "9,13 %"
    assert table.loc["Regionval", "Hela länet 2022"] == "11,58 %"
    assert table.loc["Riksdagsval", "Hela länet, förändring"] == "−0,99 p.e."
    seats = [m.value for m in at.markdown if "mandat" in m.value][0]
    assert "Kommunfullmäktige 2022: **8 av 75 mandat**. 274 röster till ett mandat till; sista mandatet vanns med 434 rösters marginal." in seats
    assert "Regionfullmäktige (hela länet) 2022: **18 av 149 mandat**." in seats
    captions = " ".join(c.value for c in at.caption)
    assert "Urval: kommun Botkyrka · parti Vänsterpartiet · jämförelse 2018 → 2022 · offentliga uppgifter" in captions
    assert f"Data byggd {q.data_date()}" in captions
    assert len(at.table) == 1  # no activity for an anonymous viewer
    assert not any("(internt)" in s.value for s in at.subheader)


def test_handout_with_activity_when_logged_in(no_auth_env):
    at = run("pages/utskrift.py", user="anna", kommun="Botkyrka", period="2018-2022")
    assert "Valrörelsen 2022 i Botkyrka (internt)" in [s.value for s in at.subheader]
    act = at.table[1].value.set_index("Aktivitet")["Valrörelsen 2022"]
    assert act["Aktiva medlemmar"] == "14"
    assert act["Ringsamtal"] == "uppgift saknas"


# --- the launcher ---------------------------------------------------------------------------------


def test_launcher_command_has_the_production_options(monkeypatch):
    import argparse

    for key in ("VALRUMMET_PORT", "VALRUMMET_ALLOWED_HOSTS", "VALRUMMET_MAX_UPLOAD_MB"):
        monkeypatch.delenv(key, raising=False)
    p = argparse.ArgumentParser()
    serve.add_arguments(p)
    args = p.parse_args(["--port", "9001", "--allowed-hosts", "valrummet.example.se,localhost"])
    opts = serve.streamlit_options(args)
    assert ("client.showErrorDetails", "none") in opts
    assert ("client.toolbarMode", "viewer") in opts
    assert ("browser.gatherUsageStats", "false") in opts
    assert ("server.enableXsrfProtection", "true") in opts
    assert ("server.maxUploadSize", "50") in opts
    assert ("server.port", "9001") in opts and ("server.address", "127.0.0.1") in opts
    assert [v for k, v in opts if k == "server.allowedHosts"] == ["valrummet.example.se", "localhost"]
    cmd = serve.command(args)
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4].endswith("app.py")
    monkeypatch.setenv("VALRUMMET_MAX_UPLOAD_MB", "10")
    p2 = argparse.ArgumentParser()
    serve.add_arguments(p2)
    assert ("server.maxUploadSize", "10") in serve.streamlit_options(p2.parse_args([]))


def test_hash_password_command():
    out = subprocess.run([sys.executable, "-m", "dashboard", "serve", "--hash-password"],
                         input=PASSWORD + "\n", capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.returncode == 0, out.stderr
    encoded = out.stdout.strip()
    assert auth.verify_password(encoded, PASSWORD)
    assert PASSWORD not in out.stdout + out.stderr
    short = subprocess.run([sys.executable, "-m", "dashboard", "serve", "--hash-password"],
                           input="kort\n", capture_output=True, text=True, cwd=REPO, timeout=60)
    assert short.returncode == 2 and "minst 12 tecken" in short.stderr
