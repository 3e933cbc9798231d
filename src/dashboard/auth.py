"""Editor access: a password hash (never the password), an OIDC check, and a login throttle.

The hash (``pbkdf2_sha256$iterations$salt$hex``) comes from the setting
``DASHBOARD_EDITOR_PASSWORD_HASH`` (or ``editor_password_hash`` in secrets.toml); make one
with ``python -m dashboard hash-password``. Comparison is constant-time. With ``[auth]`` in
secrets.toml the app uses ``st.login`` (OIDC) and an allow-list of e-mail addresses
instead; :func:`oidc_account` decides who of the signed-in accounts is an editor.

Password logins go through :data:`LOGIN_THROTTLE`, one per process and shared by every
session (a new browser session does not start from zero): each client (its IP address,
:func:`client_key`) gets :data:`FREE_FAILURES` failures, then must wait
:data:`LOCKOUT_S` seconds, doubling per further failure up to :data:`MAX_LOCKOUT_S`; while
it waits its password is not even checked. Every check (any client) also takes a token
from a process-wide bucket (:data:`GLOBAL_CHECKS_PER_MINUTE`, burst
:data:`GLOBAL_BURST`), so a distributed attack costs at most that many PBKDF2 runs
(~0.14 s of CPU each at :data:`ITERATIONS`) per minute. Failures and refusals are logged
(logger ``dashboard.auth``: time, client, count; never the password).

No Streamlit here: the UI (``editor.py``) passes in what it reads from ``st.context`` and
``st.user``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

ITERATIONS = 600_000
MAX_DELAY_S = 8.0

# --- login throttle limits (see the module docstring and docs/security.md)
FREE_FAILURES = 5             # failed logins per client before it has to wait
LOCKOUT_S = 30.0              # the first wait; doubles with every further failure
MAX_LOCKOUT_S = 900.0         # the longest wait (15 min)
FORGET_S = 3600.0             # a client's failures are forgotten after 1 h without one
GLOBAL_CHECKS_PER_MINUTE = 12  # password checks per process and minute, all clients
GLOBAL_BURST = 6              # checks allowed at once before the per-minute rate applies
MAX_CLIENTS = 10_000          # clients remembered (oldest forgotten first)
REFUSAL_LOG_S = 10.0          # refusals are logged at most once per 10 s, with a count

log = logging.getLogger("dashboard.auth")


def hash_password(password: str, salt: str | None = None, iterations: int = ITERATIONS) -> str:
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, expected = stored.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode(),
                                     int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest.hex(), expected)


def failure_delay(failures: int) -> float:
    """Seconds to wait after the n-th consecutive failure: 0.5, 1, 2, 4, 8, 8, …

    Kept for callers that want a per-session back-off; the app throttles with
    :class:`LoginThrottle` (per client and per process) instead."""
    return 0.0 if failures <= 0 else min(MAX_DELAY_S, 0.5 * 2 ** (failures - 1))


# ------------------------------------------------------------------------- clients
def client_key(remote_ip: str | None, forwarded_for: str | None = None,
               trusted_proxies: int = 0) -> str:
    """Who is trying to log in, as a throttle key.

    ``remote_ip`` is the connection's address (``st.context.ip_address``; None for
    localhost). ``X-Forwarded-For`` is believed only when ``trusted_proxies`` (the setting
    ``DASHBOARD_TRUSTED_PROXIES``) says that many reverse proxies append to it: the client
    is then the ``trusted_proxies``-th address from the right (what a client writes to the
    left of it is ignored). IPv6 addresses count per /64 network (one subscriber)."""
    address = remote_ip
    if trusted_proxies > 0 and forwarded_for:
        hops = [h.strip() for h in str(forwarded_for).split(",") if h.strip()]
        if hops:
            address = hops[-trusted_proxies] if len(hops) >= trusted_proxies else hops[0]
    if not address:
        return "local"
    try:
        ip = ipaddress.ip_address(str(address).strip())
    except ValueError:
        return "?" + str(address)[:64]
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


# ------------------------------------------------------------------------- throttle
@dataclass(frozen=True)
class Attempt:
    """What came of one login attempt."""
    ok: bool            # the password was right
    checked: bool       # the password was checked at all (False: refused by the throttle)
    wait: float = 0.0   # seconds this client must wait before its next attempt
    scope: str = ""     # why it must wait: "client" (its failures) or "global" (the server)


@dataclass
class _Client:
    failures: int = 0
    until: float = 0.0   # may try again from this moment (clock time)
    last: float = 0.0    # moment of the last counted attempt


class LoginThrottle:
    """Failed-login accounting shared by every session of the process (thread-safe).

    ``clock`` (seconds, monotonic) is a parameter so tests can drive time."""

    def __init__(self, *, free_failures: int = FREE_FAILURES, lockout_s: float = LOCKOUT_S,
                 max_lockout_s: float = MAX_LOCKOUT_S, forget_s: float = FORGET_S,
                 per_minute: float = GLOBAL_CHECKS_PER_MINUTE, burst: int = GLOBAL_BURST,
                 max_clients: int = MAX_CLIENTS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.free_failures = free_failures
        self.lockout_s = lockout_s
        self.max_lockout_s = max_lockout_s
        self.forget_s = forget_s
        self.rate = per_minute / 60.0
        self.burst = burst
        self.max_clients = max_clients
        self.clock = clock
        self._lock = threading.Lock()
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        self._tokens = float(burst)
        self._filled = clock()
        self._refusals_unlogged = 0
        self._refusal_logged_at: float | None = None

    def reset(self) -> None:
        """Forget every client and refill the global budget."""
        with self._lock:
            self._clients.clear()
            self._tokens = float(self.burst)
            self._filled = self.clock()

    # -- internals (call with the lock held)
    def _refill(self, now: float) -> None:
        self._tokens = min(float(self.burst), self._tokens + (now - self._filled) * self.rate)
        self._filled = now

    def _client(self, key: str, now: float) -> _Client | None:
        c = self._clients.get(key)
        if c is not None and now - c.last > self.forget_s and now >= c.until:
            del self._clients[key]
            return None
        return c

    def _refusal(self, key: str, now: float) -> tuple[float, str]:
        c = self._client(key, now)
        if c is not None and c.until > now:
            return c.until - now, "client"
        if self._tokens < 1.0:
            return (1.0 - self._tokens) / self.rate if self.rate > 0 else float("inf"), \
                "global"
        return 0.0, ""

    def _log_refusal(self, key: str, scope: str, wait: float, now: float) -> None:
        """One line per REFUSAL_LOG_S at most (an attack must not flood the log)."""
        self._refusals_unlogged += 1
        if self._refusal_logged_at is not None and now - self._refusal_logged_at < \
                REFUSAL_LOG_S:
            return
        c = self._clients.get(key)
        log.warning("%s editor login refused (%s throttle): client=%s failures=%d "
                    "wait=%.0fs; %d attempt(s) refused since the last such line", _stamp(),
                    scope, key, c.failures if c else 0, wait, self._refusals_unlogged)
        self._refusals_unlogged = 0
        self._refusal_logged_at = now

    # -- API
    def wait(self, key: str) -> tuple[float, str]:
        """(seconds, scope) ``key`` would have to wait now; (0.0, "") when it may try."""
        with self._lock:
            now = self.clock()
            self._refill(now)
            return self._refusal(key, now)

    def attempt(self, key: str, check: Callable[[], bool]) -> Attempt:
        """Run ``check`` (the password comparison) unless ``key`` or the server must wait.

        The attempt counts as a failure before ``check`` runs (and is forgiven when it
        succeeds), so parallel attempts of one client cannot slip past the limit."""
        with self._lock:
            now = self.clock()
            self._refill(now)
            wait, scope = self._refusal(key, now)
            if wait > 0:
                self._log_refusal(key, scope, wait, now)
                return Attempt(ok=False, checked=False, wait=wait, scope=scope)
            self._tokens -= 1.0
            c = self._client(key, now)
            if c is None:
                c = self._clients[key] = _Client()
                while len(self._clients) > self.max_clients:
                    self._clients.popitem(last=False)
            self._clients.move_to_end(key)
            c.failures += 1
            c.last = now
            if c.failures >= self.free_failures:
                c.until = now + min(self.max_lockout_s,
                                    self.lockout_s * 2 ** (c.failures - self.free_failures))
            failures = c.failures
        ok = False
        try:
            ok = bool(check())
        finally:
            with self._lock:
                now = self.clock()
                if ok:
                    self._clients.pop(key, None)
                else:
                    c = self._clients.get(key)
                    wait = max(0.0, c.until - now) if c else 0.0
        if ok:
            log.info("%s editor login: client=%s", _stamp(), key)
            return Attempt(ok=True, checked=True)
        log.warning("%s editor login failed: client=%s failures=%d wait=%.0fs", _stamp(), key,
                    failures, wait)
        return Attempt(ok=False, checked=True, wait=wait, scope="client" if wait else "")


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# The one throttle of this process (every Streamlit session shares it).
LOGIN_THROTTLE = LoginThrottle()


# ------------------------------------------------------------------------- OIDC
def email_verified(claims: Mapping) -> bool:
    """The identity provider vouches for the address (``email_verified`` true; some
    providers send the string ``"true"``)."""
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


# Why a signed-in account is not an editor (:func:`oidc_account`).
SIGNED_OUT, NOT_LISTED, UNVERIFIED = "signed_out", "not_listed", "unverified"


def oidc_account(claims: Mapping, allowed: set[str] | frozenset[str]) -> tuple[str, str | None]:
    """The one decision whether an OIDC account is an editor: its e-mail address
    (lower-case; '' when none) and None when the account (its ID-token claims, as
    ``st.user`` holds them) is logged in, on the allow-list and has a verified address;
    else why not (:data:`SIGNED_OUT`, :data:`NOT_LISTED`, :data:`UNVERIFIED`, checked in
    that order)."""
    if not claims.get("is_logged_in"):
        return "", SIGNED_OUT
    email = str(claims.get("email") or "").strip().lower()
    if not email or email not in {a.strip().lower() for a in allowed}:
        return email, NOT_LISTED
    return email, None if email_verified(claims) else UNVERIFIED


def oidc_editor(claims: Mapping, allowed: set[str] | frozenset[str]) -> str | None:
    """The editor's e-mail address when :func:`oidc_account` finds the account is an
    editor; else None."""
    email, why_not = oidc_account(claims, allowed)
    return email if why_not is None else None
