"""Access findings of issue 11: the login throttle (finding 8), one editor check for every
editor action (finding 10), OIDC e-mails only when verified, and what the public
/wijzigingen page tells about editors (low findings).

The throttle is tested with a fake clock passed to the throttle object (a parameter, not a
patch) and through the real app in AppTest: failures in one session still count in the
next. OIDC users are the ``AppTest.user`` claims Streamlit's testing API provides."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import auth, loads
from dashboard.auth import hash_password
from dashboard.settings import PROJECT_ROOT
from dashboard.store import Store

from ..conftest import HASH, PASSWORD, goto, make_env, run_app

APP = str(PROJECT_ROOT / "app.py")
EDITOR = "editor@kortrijk.be"
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test",
        "client_id": "dashboard", "client_secret": "secret",
        "server_metadata_url": "https://login.example/.well-known/openid-configuration"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Checks:
    """The password check handed to the throttle: counts how often it really ran."""

    def __init__(self, result: bool = False, pause: float = 0.0) -> None:
        self.calls = 0
        self.result = result
        self.pause = pause
        self._lock = threading.Lock()

    def __call__(self) -> bool:
        with self._lock:
            self.calls += 1
        time.sleep(self.pause)
        return self.result


# ------------------------------------------------------------------ finding 8: throttle
def test_finding_08_a_client_waits_after_failures_and_is_not_even_checked():
    clock = FakeClock()
    throttle = auth.LoginThrottle(free_failures=3, lockout_s=30, max_lockout_s=120,
                                  per_minute=1000, burst=1000, clock=clock)
    wrong = Checks(False)
    for _ in range(2):
        result = throttle.attempt("203.0.113.7", wrong)
        assert result.checked and not result.ok and result.wait == 0
    third = throttle.attempt("203.0.113.7", wrong)
    assert third.checked and third.wait == pytest.approx(30) and third.scope == "client"
    # While it waits, not even the right password is checked.
    right = Checks(True)
    clock.advance(29)
    refused = throttle.attempt("203.0.113.7", right)
    assert not refused.ok and not refused.checked and refused.wait == pytest.approx(1)
    assert right.calls == 0 and wrong.calls == 3
    assert throttle.wait("203.0.113.7") == (pytest.approx(1), "client")
    # Another client is not affected.
    assert throttle.attempt("198.51.100.1", right).ok
    # The next failure doubles the wait, up to the cap.
    clock.advance(1)
    assert throttle.attempt("203.0.113.7", wrong).wait == pytest.approx(60)
    clock.advance(60)
    assert throttle.attempt("203.0.113.7", wrong).wait == pytest.approx(120)
    clock.advance(120)
    assert throttle.attempt("203.0.113.7", wrong).wait == pytest.approx(120)
    # A success forgives the client.
    clock.advance(120)
    assert throttle.attempt("203.0.113.7", right).ok
    assert throttle.attempt("203.0.113.7", wrong).wait == 0


def test_finding_08_parallel_attempts_of_one_client_cannot_pass_the_limit():
    throttle = auth.LoginThrottle(free_failures=3, per_minute=1000, burst=1000)
    slow_wrong = Checks(False, pause=0.2)
    threads = [threading.Thread(target=throttle.attempt, args=("203.0.113.9", slow_wrong))
               for _ in range(12)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert slow_wrong.calls == 3


def test_finding_08_a_distributed_attack_gets_a_bounded_number_of_checks():
    """Every attempt from a fresh address: the process-wide budget bounds the PBKDF2 runs
    (the CPU they cost) no matter how many clients there are."""
    clock = FakeClock()
    throttle = auth.LoginThrottle(clock=clock)      # the app's limits
    wrong = Checks(False)
    refused_global = 0
    for i in range(10 * 60 * 10):             # ten attempts a second for ten minutes
        result = throttle.attempt(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", wrong)
        refused_global += (not result.checked and result.scope == "global")
        clock.advance(0.1)
    bound = auth.GLOBAL_BURST + auth.GLOBAL_CHECKS_PER_MINUTE * 10
    assert wrong.calls <= bound, wrong.calls
    assert refused_global == 6000 - wrong.calls
    # The CPU that cost: one real check at the real iteration count, times the checks.
    stored = hash_password("y", iterations=auth.ITERATIONS)
    started = time.process_time()
    auth.verify_password("x", stored)
    per_check = time.process_time() - started
    assert wrong.calls * per_check / 600 < 0.1, f"more than 10 % of a core ({per_check:.2f} s)"
    # The budget refills: a minute later checks run again.
    clock.advance(60)
    assert throttle.attempt("192.0.2.1", Checks(True)).ok


def test_finding_08_failures_are_logged_with_time_and_client_never_the_password(caplog):
    clock = FakeClock()
    throttle = auth.LoginThrottle(free_failures=2, per_minute=1000, burst=1000, clock=clock)
    secret = "Geheim-Wachtwoord-123"
    with caplog.at_level(logging.INFO, logger="dashboard.auth"):
        for _ in range(3):
            throttle.attempt("203.0.113.7", lambda: auth.verify_password(secret, HASH))
    lines = [r.getMessage() for r in caplog.records if r.name == "dashboard.auth"]
    assert len(lines) == 3, lines
    assert all("203.0.113.7" in line for line in lines)
    assert "failed" in lines[0] and "refused" in lines[2]
    assert all(any(ch.isdigit() for ch in line.split()[0]) and "T" in line.split()[0]
               for line in lines), lines      # an ISO time stamp first
    assert not any(secret in r.getMessage() or secret in str(r.args) for r in caplog.records)


def test_finding_08_client_key_believes_forwarded_for_only_behind_a_trusted_proxy():
    forged = "1.2.3.4, 203.0.113.7"
    assert auth.client_key("192.0.2.10", forged, trusted_proxies=0) == "192.0.2.10"
    # One proxy: it appended the real client last; what the client wrote is ignored.
    assert auth.client_key(None, forged, trusted_proxies=1) == "203.0.113.7"
    assert auth.client_key(None, None, trusted_proxies=1) == "local"
    assert auth.client_key("192.0.2.10", None, trusted_proxies=1) == "192.0.2.10"
    # IPv6 per /64 (one subscriber gets a whole /64).
    assert auth.client_key("2001:db8:1:2::5") == auth.client_key("2001:db8:1:2:ffff::1") \
        == "2001:db8:1:2::/64"
    assert auth.client_key("::ffff:192.0.2.10") == "192.0.2.10"
    assert len(auth.client_key("x" * 5000)) < 80


@pytest.fixture
def editor_env(built_copy, clean_env, monkeypatch):
    for key, value in make_env(built_copy.db_path.parent.parent).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DASHBOARD_EDITOR_PASSWORD_HASH", HASH)
    throttle = getattr(auth, "LOGIN_THROTTLE", None)   # the process-wide one
    if throttle is not None:
        throttle.reset()
    yield built_copy
    if throttle is not None:
        throttle.reset()


def _password_login(password: str) -> AppTest:
    """A new browser session (a new AppTest) on the load page, submitting ``password``."""
    at = run_app("app_pages/load.py")
    at.text_input[0].set_value(password)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_finding_08_a_new_session_after_failures_from_the_same_client_is_throttled(
        editor_env):
    for _ in range(getattr(auth, "FREE_FAILURES", 5)):
        at = _password_login("verkeerd")
        assert "Onjuist wachtwoord" in at.error[0].value
    # A fresh session from the same client, now with the right password: refused, told
    # how long to wait, and not logged in.
    at = _password_login(PASSWORD)
    assert not at.get("file_uploader"), "logged in despite the failures of this client"
    errors = " ".join(e.value for e in at.error)
    assert "Wacht" in errors and "seconden" in errors, errors
    # Even a page view (no attempt) says so.
    assert any("Wacht" in w.value for w in run_app("app_pages/load.py").warning)


# ------------------------------------------------------------------ finding 10 + OIDC
@pytest.fixture
def oidc_env(built_copy, clean_env, monkeypatch):
    for key, value in make_env(built_copy.db_path.parent.parent).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DASHBOARD_EDITORS", EDITOR)
    return built_copy


def _as_user(page: str, user: dict) -> AppTest:
    """The real app with OIDC configured ([auth]) and ``user`` signed in."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = AUTH
    at.user = user
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    goto(at, page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _meeting_form(at: AppTest) -> bool:
    return any(w.key == "meeting_title" for w in at.text_input) or \
        any(b.label == "Vastleggen" for b in at.button)


def test_finding_10_a_signed_in_account_off_the_allow_list_cannot_record_a_meeting(oidc_env):
    stranger = {"is_logged_in": True, "email": "iemand@gmail.com", "email_verified": True}
    at = _as_user("app_pages/changes.py", stranger)
    assert not _meeting_form(at), "an account off the allow-list may record meetings"
    assert any("Meld u aan" in c.value for c in at.caption)
    # The same account is no editor on the load page either (one check for both).
    assert not _as_user("app_pages/load.py", stranger).get("file_uploader")
    # The allow-listed, verified editor may.
    editor = {"is_logged_in": True, "email": EDITOR, "email_verified": True}
    at = _as_user("app_pages/changes.py", editor)
    assert _meeting_form(at)
    assert _as_user("app_pages/load.py", editor).get("file_uploader")


@pytest.mark.parametrize("verified", [False, "false", None])
def test_low_oidc_email_is_trusted_only_when_verified(oidc_env, verified):
    user = {"is_logged_in": True, "email": EDITOR.upper()}
    if verified is not None:
        user["email_verified"] = verified
    at = _as_user("app_pages/load.py", user)
    assert not at.get("file_uploader"), f"unverified {EDITOR} got the editor ({verified!r})"
    assert not _meeting_form(_as_user("app_pages/changes.py", user))
    assert any("niet bevestigd" in e.value for e in at.error), [e.value for e in at.error]
    assert _as_user("app_pages/load.py", {**user, "email_verified": True}).get("file_uploader")


# ------------------------------------------------------------------ /wijzigingen
WHO = "jan.peeters@kortrijk.be"
FILE = "intern-budgetvoorstel-vertrouwelijk-v3.csv"


def _loads_table(at: AppTest):
    return next(d.value for d in at.dataframe if "Geladen op" in d.value.columns)


def test_low_public_changes_page_names_a_role_not_the_editor_or_the_file(oidc_env,
                                                                         monkeypatch):
    with Store(oidc_env.db_path) as store:
        text = "indicator;gebied;jaar;waarde\nlaadpunten;34022;2024;777\n"
        validated = loads.validate_file(text.encode(), FILE, store)
        assert validated.ok, validated.errors
        loads.commit(store, validated, who=WHO, confirm_warnings=True)
    # The editor instance shows who and which file, as before.
    table = _loads_table(run_app("app_pages/changes.py"))
    assert WHO in set(table["Door"]) and FILE in set(table["Bestand"])
    # The public instance shows a role, and no file names.
    monkeypatch.setenv("PUBLIC_MODE", "1")
    at = run_app("app_pages/changes.py")
    table = _loads_table(at)
    cells = {str(v) for col in table.columns for v in table[col]} | set(table.columns)
    assert not any(WHO in c or "intern-budget" in c or "@" in c for c in cells), cells
    assert "Bestand" not in table.columns
    assert set(table["Door"]) == {"redacteur"}
