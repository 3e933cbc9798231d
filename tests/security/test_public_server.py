"""Finding 3 (issue 11): a public replica takes no uploads, measured on a real server.

A real ``streamlit run app.py`` with ``PUBLIC_MODE=1`` serves a published snapshot of a
database built from the catalog and the official geodata. The attacker's path: the XSRF
cookie from ``/_stcore/health``, a real session over Streamlit's websocket (the session id
comes with the first ``new_session`` message), then ``PUT /_stcore/upload_file/<session>/
<id>`` with a 45 MB body, four times (announced with Content-Length) and four more times
chunked (no Content-Length). Every attempt must be refused and the server's resident
memory (``VmRSS`` of the process) must not grow by more than 20 MB.

Two servers: one laid out as the image runs it (``app.py`` with ``deploy/config.toml`` as
its ``.streamlit/config.toml``, as the Dockerfile copies it), one from the repository with
the permissive development configuration (the app itself must refuse in PUBLIC_MODE).
With nginx installed (``.ci/run`` installs it), ``deploy/nginx.conf`` runs in front of the
image-like server: the endpoint is blocked there, the board still opens through it.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
import uuid
from pathlib import Path

import pytest

from dashboard import snapshot
from deploy import stack
from dashboard.settings import PROJECT_ROOT, environ_without_settings
from dashboard.store import Store

UPLOAD_MB = 45
ATTEMPTS = 4
RSS_BUDGET_KB = 20 * 1024
HEALTH_TIMEOUT = 90.0
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                  else None)


# ------------------------------------------------------------------------ servers
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health(base: str) -> str | None:
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
            return resp.read().decode("utf-8", "replace").strip()
    except OSError:
        return None


def _stop(proc: subprocess.Popen) -> None:
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)  # its own process group (start_new_session)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue


class Server:
    def __init__(self, app_dir: Path, env: dict[str, str], log_dir: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_dir = log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        with (log_dir / "server.out").open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py",
                 "--server.port", str(self.port), "--server.address", "127.0.0.1"],
                cwd=app_dir, env=env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + HEALTH_TIMEOUT
        while _health(self.base) != "ok":
            if self.proc.poll() is not None or time.monotonic() > deadline:
                _stop(self.proc)
                pytest.fail(f"streamlit did not start:\n{self.output()}")
            time.sleep(0.2)

    @property
    def pid(self) -> int:
        return self.proc.pid  # `python -m streamlit run`: the server itself

    def output(self) -> str:
        return (self.log_dir / "server.out").read_text(errors="replace")[-6000:]

    def stop(self) -> None:
        _stop(self.proc)


def _replica_env(root: Path, snaps: Path, static: Path, **extra: str) -> dict[str, str]:
    """A clean environment (no DASHBOARD_* or STREAMLIT_* of the outer shell) for a public
    replica serving ``snaps``; nothing of its own is built."""
    env = {k: v for k, v in environ_without_settings().items()
           if not k.startswith("STREAMLIT_")}
    env.update({
        "PUBLIC_MODE": "1",
        "DASHBOARD_SNAPSHOT_DIR": str(snaps),
        "DASHBOARD_DB_PATH": str(root / "own" / "dashboard.duckdb"),
        "DASHBOARD_GEO_DIR": str(root / "own" / "geo"),
        "DASHBOARD_STATIC_DIR": str(static),
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def snaps(built_official, tmp_path_factory) -> Path:
    """One snapshot published from a private copy of the official build."""
    root = tmp_path_factory.mktemp("public_snap")
    shutil.copytree(built_official.db_path.parent, root / "data")
    shutil.copytree(built_official.geo_dir, root / "geo")
    with Store(root / "data" / built_official.db_path.name) as editor:
        snapshot.publish(editor, root / "geo", root / "snaps")
    return root / "snaps"


@pytest.fixture(scope="module")
def image_server(snaps, tmp_path_factory):
    """The public replica as the image runs it: /app holds app.py and, as the Dockerfile
    copies it, deploy/config.toml as .streamlit/config.toml."""
    root = tmp_path_factory.mktemp("public_image")
    app_dir = root / "app"
    (app_dir / ".streamlit").mkdir(parents=True)
    shutil.copy2(PROJECT_ROOT / "app.py", app_dir / "app.py")
    shutil.copy2(PROJECT_ROOT / "deploy" / "config.toml", app_dir / ".streamlit" / "config.toml")
    server = Server(app_dir, _replica_env(root, snaps, app_dir / "static"), root / "logs")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def dev_config_server(snaps, tmp_path_factory):
    """A public replica started from the repository: the development configuration does not
    limit uploads (Streamlit's default is 200 MB)."""
    root = tmp_path_factory.mktemp("public_dev")
    server = Server(PROJECT_ROOT, _replica_env(root, snaps, PROJECT_ROOT / "static"),
                    root / "logs")
    yield server
    server.stop()


# ------------------------------------------------------------------------ the attacker
def _xsrf(base: str) -> str:
    """The XSRF cookie any anonymous client gets from the health endpoint."""
    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=10) as resp:
        cookies = resp.headers.get_all("Set-Cookie") or []
    for c in cookies:
        m = re.match(r"_streamlit_xsrf=([^;]+)", c)
        if m:
            return m.group(1).strip('"')
    pytest.fail(f"no _streamlit_xsrf cookie from {base}/_stcore/health: {cookies}")


class Session:
    """A real Streamlit session over the websocket (the script runs once)."""

    def __init__(self, base: str, xsrf: str, cookies: str = "") -> None:
        from websockets.sync.client import connect

        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.cookie = f"_streamlit_xsrf={xsrf}" + (f"; {cookies}" if cookies else "")
        ws_url = base.replace("http://", "ws://") + "/_stcore/stream"
        self.ws = connect(ws_url, subprotocols=["streamlit", xsrf],
                          additional_headers={"Cookie": self.cookie, "Origin": base},
                          max_size=None, open_timeout=30)
        self.ws.__enter__()  # websockets' sync client wants its context entered
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_script_hash = ""
        self.ws.send(msg.SerializeToString())
        self.session_id = ""
        finished = False
        deadline = time.monotonic() + 120
        while not (self.session_id and finished):
            if time.monotonic() > deadline:
                pytest.fail("the session did not finish its first script run in 120 s")
            fwd = ForwardMsg()
            fwd.ParseFromString(self.ws.recv(timeout=120))
            kind = fwd.WhichOneof("type")
            if kind == "new_session":
                self.session_id = fwd.new_session.initialize.session_id
            elif kind == "script_finished":
                finished = True
        assert self.session_id

    def close(self) -> None:
        self.ws.close()


def _multipart(size: int) -> tuple[bytes, bytes, str]:
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head, tail, f"multipart/form-data; boundary={boundary}"


def put_upload(base: str, session: Session, xsrf: str, size: int, chunked: bool
               ) -> tuple[int | None, str]:
    """PUT ``size`` bytes as one file; the HTTP status (None when the server closed the
    connection before answering: it stopped reading, the body was refused) and the
    answering server's ``Server`` header."""
    head, tail, ctype = _multipart(size)
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    path = f"/_stcore/upload_file/{session.session_id}/{uuid.uuid4()}"
    conn.putrequest("PUT", path)
    conn.putheader("Cookie", session.cookie)
    conn.putheader("X-Xsrftoken", xsrf)
    conn.putheader("Origin", base)
    conn.putheader("Content-Type", ctype)
    if chunked:
        conn.putheader("Transfer-Encoding", "chunked")
    else:
        conn.putheader("Content-Length", str(len(head) + size + len(tail)))
    conn.endheaders()
    block = b"x" * (1 << 20)
    try:
        parts = [head] + [block] * (size // len(block)) + [b"x" * (size % len(block)), tail]
        for part in parts:
            if not part:
                continue
            conn.send(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
        if chunked:
            conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server stopped reading; its answer (if any) is read below
    try:
        resp = conn.getresponse()
        resp.read()
        return resp.status, resp.headers.get("Server", "")
    except (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError):
        return None, ""
    finally:
        conn.close()


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def _attack(server: Server, base: str | None = None, size: int = UPLOAD_MB << 20
            ) -> tuple[list, int]:
    """Four announced and four chunked uploads of ``size`` bytes into a real session;
    ([(status, server header)], RSS growth of the Streamlit process in kB)."""
    base = base or server.base
    xsrf = _xsrf(base)
    session = Session(base, xsrf)
    try:
        time.sleep(1.0)
        before = rss_kb(server.pid)
        statuses = [put_upload(base, session, xsrf, size, chunked)
                    for chunked in [False] * ATTEMPTS + [True] * ATTEMPTS]
        time.sleep(2.0)  # anything kept is kept now
        grown = rss_kb(server.pid) - before
    finally:
        session.close()
    return statuses, grown


def _refused(answer: tuple[int | None, str]) -> bool:
    return answer[0] is None or 400 <= answer[0] < 500


# ------------------------------------------------------------------------ tests
def test_finding_03_image_configuration_refuses_uploads():
    """The image runs deploy/config.toml, and that configuration takes no upload."""
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert re.search(r"^COPY deploy/config\.toml \.streamlit/config\.toml$", dockerfile, re.M)
    assert dockerfile.index("COPY deploy/config.toml") > dockerfile.index("COPY . .")
    config = tomllib.loads((PROJECT_ROOT / "deploy" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == 0
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"].get("enableAgentApi", False) is False


def test_finding_03_public_replica_refuses_45_mb_uploads(image_server):
    statuses, grown = _attack(image_server)
    assert all(_refused(s) for s in statuses), \
        f"uploads accepted by the public replica: {statuses}\n{image_server.output()}"
    assert all(s == 413 for s, _ in statuses[:ATTEMPTS]), statuses  # refused unread
    assert grown < RSS_BUDGET_KB, f"server RSS grew by {grown / 1024:.0f} MB ({statuses})"
    assert _health(image_server.base) == "ok"


def test_finding_03_public_mode_refuses_uploads_whatever_the_configuration(
        dev_config_server):
    """The development config allows 200 MB uploads; PUBLIC_MODE itself must refuse."""
    statuses, grown = _attack(dev_config_server)
    assert all(_refused(s) for s in statuses), \
        f"uploads accepted in PUBLIC_MODE: {statuses}\n{dev_config_server.output()}"
    assert grown < RSS_BUDGET_KB, f"server RSS grew by {grown / 1024:.0f} MB ({statuses})"


def _nginx_config(tmp: Path, listen: int, editor_listen: int, upstream: int) -> Path:
    """deploy/nginx.conf with the test's ports and writable paths, nothing else changed
    (the local stack's rewrite, deploy/stack.py)."""
    return stack.nginx_config(tmp, listen, editor_listen, [upstream], _free_port())


@pytest.mark.skipif(NGINX is None, reason="nginx not installed (apt-get install nginx; "
                    ".ci/run installs it)")
def test_finding_03_proxy_blocks_the_upload_endpoint(image_server, tmp_path):
    if os.geteuid() == 0:  # the file as shipped (its pid and log paths need root)
        check = subprocess.run([NGINX, "-t", "-c", str(PROJECT_ROOT / "deploy/nginx.conf")],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
    port = _free_port()
    conf = _nginx_config(tmp_path, port, _free_port(), image_server.port)
    check = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(tmp_path), "-e",
                            str(tmp_path / "error.log")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp_path), "-e",
                             str(tmp_path / "error.log"), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while _health(base) != "ok":
            assert proc.poll() is None and time.monotonic() < deadline, \
                (tmp_path / "error.log").read_text()
            time.sleep(0.2)
        with urllib.request.urlopen(f"{base}/", timeout=10) as resp:
            headers = resp.headers
            assert resp.status == 200
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]
        assert headers["Referrer-Policy"]
        assert "board_route=" in (headers["Set-Cookie"] or "")
        # The board opens through the proxy (websocket upgrade), the upload never arrives.
        # 45 MB: announced ones exceed client_max_body_size (413), chunked ones meet the
        # blocked location (403); small ones too. nginx answers, the replica sees nothing.
        for size in (UPLOAD_MB << 20, 1024):
            statuses, grown = _attack(image_server, base, size)
            assert all(_refused(a) for a in statuses), statuses
            assert all(server == "nginx" for s, server in statuses if s is not None), statuses
            assert all(s == 403 for s, _ in statuses[ATTEMPTS:] if s is not None), statuses
            assert grown < RSS_BUDGET_KB, f"server RSS grew by {grown / 1024:.0f} MB"
        assert all(s == 403 for s, _ in statuses), statuses  # the small ones: the location
    finally:
        _stop(proc)
