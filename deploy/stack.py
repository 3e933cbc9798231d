"""The production stack on one machine: nginx in front of N public replicas and one
editor instance that publishes snapshots.

    python deploy/stack.py [--replicas 2] [--port 8080] [--root /tmp/board-stack]

1. ``python -m dashboard build`` in ``ROOT/editor`` (the editor's writable database, from
   the catalog and the official geodata in ``DASHBOARD_GEODATA_DIR``, default
   ``../shared/geo``), then ``python -m dashboard publish`` into ``ROOT/snapshots``.
2. N public replicas: ``streamlit run app.py`` with ``PUBLIC_MODE=1`` and
   ``DASHBOARD_SNAPSHOT_DIR=ROOT/snapshots`` (read-only, nothing built), the production
   settings of ``deploy/config.toml`` (given as command-line options, so the development
   ``.streamlit/config.toml`` is not touched), on ports 8601, 8602, ….
3. The editor instance on 8701 (same snapshot folder; publishing from its history page
   or ``python -m dashboard publish`` switches every replica on its next rerun).
4. Debian's nginx with ``deploy/nginx.conf``: the file as shipped, with the listen ports,
   the upstream servers and the writable paths (pid, logs, temp folders) rewritten for
   ``ROOT/nginx``: nothing else changes, so what runs here is what is deployed.

Ctrl-C stops everything. ``Stack`` is also used by the protocol load test
(``bench/protocol_load.py``) and by ``tests/test_stack.py``.
"""

from __future__ import annotations

import argparse
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
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
NGINX_CONF = PROJECT_ROOT / "deploy" / "nginx.conf"
STREAMLIT_CONF = PROJECT_ROOT / "deploy" / "config.toml"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                  else None)
BROTLI = Path("/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so")
REPLICA_PORT = 8601
EDITOR_PORT = 8701
HEALTH_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(base: str, timeout: float = 2.0) -> str | None:
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=timeout) as resp:
            return resp.read().decode().strip()
    except OSError:
        return None


def streamlit_options(config: Path = STREAMLIT_CONF) -> list[str]:
    """``deploy/config.toml`` as ``--section.key value`` options (what the image copies
    into ``.streamlit/config.toml``)."""
    out = []
    for section, values in tomllib.loads(config.read_text()).items():
        for key, value in values.items():
            if isinstance(value, bool):
                value = str(value).lower()
            out += [f"--{section}.{key}", str(value)]
    return out


def nginx_config(folder: Path, listen: int, editor_listen: int, replicas: list[int],
                 editor: int) -> Path:
    """``deploy/nginx.conf`` with these ports and writable paths under ``folder``."""
    text = NGINX_CONF.read_text()
    # Debian's modules are loaded by path (the stack runs nginx with its own prefix);
    # without the brotli module its lines go and gzip alone compresses.
    modules = "include /etc/nginx/modules-enabled/*.conf;"
    if BROTLI.exists():
        text = text.replace(modules, f"load_module {BROTLI};")
    else:
        text = text.replace(modules, "")
        text = "\n".join(ln for ln in text.splitlines() if not ln.endswith("# needs brotli"))
        text += "\n"
    text = re.sub(r"^pid .*;$", f"pid {folder}/nginx.pid;", text, flags=re.M)
    text = re.sub(r"^error_log \S+", f"error_log {folder}/error.log", text, flags=re.M)
    text = re.sub(r"access_log \S+", f"access_log {folder}/access.log", text)
    text = re.sub(r"listen 8080;", f"listen 127.0.0.1:{listen};", text)
    text = re.sub(r"listen 127\.0\.0\.1:8081;", f"listen 127.0.0.1:{editor_listen};", text)
    text = _upstream(text, replicas)
    text = re.sub(r"server 127\.0\.0\.1:8701;", f"server 127.0.0.1:{editor};", text)
    temp = "".join(f"    {d}_temp_path {folder}/{d};\n"
                   for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    text = text.replace("http {\n", "http {\n" + temp, 1)
    if os.geteuid() == 0:
        text = "user root;\n" + text  # workers may write the stack's own folders
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "nginx.conf"
    out.write_text(text)
    return out


def _upstream(text: str, ports: list[int]) -> str:
    """The public upstream block with one server line per replica port (the shipped
    line's options, e.g. the passive health check, kept)."""
    found = re.search(r"upstream board_public \{\n[^\n]*\n((?:[ \t]*server [^\n]*\n)+)", text)
    if found is None:
        raise ValueError(f"{NGINX_CONF}: no 'upstream board_public' block")
    options = re.search(r"server \S+ ?(.*);", found.group(1)).group(1)
    servers = "".join(f"        server 127.0.0.1:{p} {options};\n" for p in ports)
    return text[:found.start(1)] + servers + text[found.end(1):]


@dataclass
class Process:
    name: str
    proc: subprocess.Popen
    base: str
    log: Path

    def output(self, tail: int = 3000) -> str:
        try:
            return self.log.read_text("utf-8", errors="replace")[-tail:]
        except OSError:
            return ""


@dataclass
class Stack:
    """A running stack: ``base`` is the public side (nginx), ``replicas`` the public
    Streamlit processes, ``editor`` the editor instance."""

    root: Path
    base: str
    editor_base: str
    replicas: list[Process] = field(default_factory=list)
    editor: Process | None = None
    nginx: Process | None = None

    def publish(self) -> str:
        """Publish a new snapshot from the editor's database (the CLI, as a scheduler
        would); returns the snapshot folder's name."""
        out = subprocess.run([sys.executable, "-m", "dashboard", "publish"],
                             cwd=PROJECT_ROOT, env=editor_env(self.root), check=True,
                             capture_output=True, text=True, timeout=300)
        return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""


def base_env(root: Path) -> dict[str, str]:
    sys.path.insert(0, str(PROJECT_ROOT / "src"))
    from dashboard.settings import environ_without_settings

    env = environ_without_settings()
    env.update({
        "DASHBOARD_GEO_DIR": str(root / "editor" / "geo"),
        "DASHBOARD_STATIC_DIR": str(PROJECT_ROOT / "static"),
        "DASHBOARD_SNAPSHOT_DIR": str(root / "snapshots"),
        "DASHBOARD_TRUSTED_PROXIES": "1",
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(PROJECT_ROOT / "src"),
    })
    geodata = os.environ.get("DASHBOARD_GEODATA_DIR") or str(
        (PROJECT_ROOT.parent / "shared" / "geo").resolve())
    env["DASHBOARD_GEODATA_DIR"] = geodata
    return env


def editor_env(root: Path) -> dict[str, str]:
    env = base_env(root)
    env["DASHBOARD_DB_PATH"] = str(root / "editor" / "dashboard.duckdb")
    if os.environ.get("DASHBOARD_EDITOR_PASSWORD_HASH"):  # the editor's sign-in
        env["DASHBOARD_EDITOR_PASSWORD_HASH"] = os.environ["DASHBOARD_EDITOR_PASSWORD_HASH"]
    return env


def replica_env(root: Path) -> dict[str, str]:
    env = base_env(root)
    env["PUBLIC_MODE"] = "1"
    env["DASHBOARD_DB_PATH"] = str(root / "replica-unused.duckdb")
    return env


def _start(name: str, args: list[str], env: dict[str, str], log: Path, base: str,
           cwd: Path = PROJECT_ROOT) -> Process:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    return Process(name, proc, base, log)


def start_streamlit(name: str, port: int, env: dict[str, str], log: Path,
                    extra: list[str] = (), app: str | Path = "app.py",
                    project: Path = PROJECT_ROOT) -> Process:
    """``project``: the checkout to run (the benchmarks compare an earlier commit's
    worktree with this one on the same snapshot)."""
    base = f"http://127.0.0.1:{port}"
    env = {**env, "PYTHONPATH": str(project / "src"),
           "DASHBOARD_STATIC_DIR": str(project / "static")}
    return _start(name, [sys.executable, "-m", "streamlit", "run", str(app),
                         *streamlit_options(), "--server.port", str(port),
                         "--server.address", "127.0.0.1", "--server.headless", "true",
                         *extra], env, log, base, cwd=project)


def wait_healthy(processes: list[Process], timeout: float = HEALTH_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    for p in processes:
        while health(p.base) != "ok":
            if p.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{p.name} did not become healthy at {p.base}\n"
                                   f"{p.output()}")
            time.sleep(0.2)


def stop(process: Process | None) -> None:
    if process is None:
        return
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if process.proc.poll() is not None:
            return
        try:
            os.killpg(process.proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue


def prepare(root: Path) -> None:
    """Build the editor's database and publish the first snapshot (once per root)."""
    if (root / "snapshots" / "CURRENT").exists():
        return
    env = editor_env(root)
    for cmd in (["build"], ["publish"]):
        subprocess.run([sys.executable, "-m", "dashboard", *cmd], cwd=PROJECT_ROOT,
                       env=env, check=True, capture_output=True, timeout=900)


@contextmanager
def running(root: Path, replicas: int = 2, port: int | None = None,
            editor: bool = True, replica_ports: list[int] | None = None,
            streamlit_extra: list[str] = (), app: str | Path = "app.py",
            prepare_data: bool = True, project: Path = PROJECT_ROOT):
    """Start the stack under ``root``; stop every process on exit. ``app``: the script the
    replicas run (the benchmarks' minimal page); ``prepare_data=False`` skips the build
    and publish (an app that reads no data)."""
    if NGINX is None:
        raise RuntimeError("nginx not installed (apt-get install -y nginx)")
    root = Path(root)
    if prepare_data:
        prepare(root)
    ports = replica_ports or [free_port() for _ in range(replicas)]
    editor_port, port = free_port(), port or free_port()
    editor_listen = free_port()
    stack = Stack(root, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{editor_listen}")
    try:
        for i, p in enumerate(ports, start=1):
            stack.replicas.append(start_streamlit(
                f"replica-{i}", p, replica_env(root), root / "logs" / f"replica-{i}.log",
                list(streamlit_extra), app, project))
        if editor:
            stack.editor = start_streamlit("editor", editor_port, editor_env(root),
                                           root / "logs" / "editor.log",
                                           ["--server.maxUploadSize", "50"])
        conf = nginx_config(root / "nginx", port, editor_listen, ports, editor_port)
        check = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(root / "nginx"),
                                "-e", str(root / "nginx" / "error.log")],
                               capture_output=True, text=True)
        if check.returncode:
            raise RuntimeError(check.stderr)
        stack.nginx = _start("nginx", [NGINX, "-c", str(conf), "-p", str(root / "nginx"),
                                       "-e", str(root / "nginx" / "error.log"), "-g",
                                       "daemon off;"], os.environ.copy(),
                             root / "logs" / "nginx.log", stack.base)
        wait_healthy(stack.replicas + ([stack.editor] if stack.editor else []))
        wait_healthy([stack.nginx])
        yield stack
    finally:
        for p in (stack.nginx, stack.editor, *stack.replicas):
            stop(p)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replicas", type=int, default=2)
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--root", default="/tmp/board-stack")
    args = ap.parse_args(argv)
    ports = [REPLICA_PORT + i for i in range(args.replicas)]
    with running(Path(args.root), args.replicas, args.port, replica_ports=ports) as stack:
        print(f"public side: {stack.base}  (replicas: "
              f"{', '.join(r.base for r in stack.replicas)})")
        print(f"editor side: {stack.editor_base}  (publish: Beheer > Geschiedenis, or "
              f"python -m dashboard publish)")
        print("Ctrl-C stops the stack.")
        try:
            while all(p.proc.poll() is None for p in (stack.nginx, *stack.replicas)):
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
