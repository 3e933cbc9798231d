"""Small helpers of the benchmarks: a free local port, the Streamlit health check (the
browser tests keep their own two-function copy in tests/test_browser.py, so tests never
import bench/), percentiles, and a row count through the store's public cursor."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(base: str) -> str | None:
    """Streamlit's health endpoint ('ok' once the server serves), None while unreachable."""
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
            return resp.read().decode("utf-8", "replace").strip()
    except (urllib.error.URLError, OSError):
        return None


def pct(values: list[float], p: float) -> float:
    """Percentile with linear interpolation (numpy's default)."""
    v = sorted(values)
    if len(v) == 1:
        return v[0]
    k = (len(v) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def count(store, sql: str, params=()) -> int:
    """One ``SELECT count(*) …`` through the store's public transaction cursor (only
    outside timed phases: the transaction ends with a checkpoint)."""
    with store.transaction() as cur:
        return int(cur.execute(sql, list(params)).fetchone()[0])
