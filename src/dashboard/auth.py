"""Editor access without an identity provider: a password hash, never the password.

The hash (``pbkdf2_sha256$iterations$salt$hex``) comes from the setting
``DASHBOARD_EDITOR_PASSWORD_HASH`` (or ``editor_password_hash`` in secrets.toml); make one
with ``python -m dashboard hash-password``. Comparison is constant-time; each failure
doubles a delay (capped). With ``[auth]`` in secrets.toml the app uses ``st.login`` (OIDC)
and an allow-list of e-mail addresses instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ITERATIONS = 600_000
MAX_DELAY_S = 8.0


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
    """Seconds to wait after the n-th consecutive failure: 0.5, 1, 2, 4, 8, 8, …"""
    return 0.0 if failures <= 0 else min(MAX_DELAY_S, 0.5 * 2 ** (failures - 1))
