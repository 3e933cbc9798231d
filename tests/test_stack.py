"""The production stack, real (issue 15, point 2): Debian's nginx with deploy/nginx.conf in
front of two public replicas on a published snapshot (deploy/stack.py), opened in
Debian's chromium and spoken to over Streamlit's own websocket protocol."""

from __future__ import annotations

import asyncio
import re
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from deploy import stack

from .browserkit import MAP_LAYOUT, city_share, overlap
from .conftest import SHARED_GEO

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.skipif(stack.NGINX is None, reason="nginx not installed (.ci/run installs it)"),
    pytest.mark.skipif(not SHARED_GEO.exists(), reason="needs ../shared/geo"),
]
LOCAL = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="module")
def running(tmp_path_factory, monkeypatch_module):
    monkeypatch_module.setenv("DASHBOARD_GEODATA_DIR", str(SHARED_GEO))
    root = tmp_path_factory.mktemp("stack")
    with stack.running(root, replicas=2) as s:
        yield s


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def _get(url: str, headers: dict[str, str] | None = None, method: str = "GET",
         data: bytes | None = None):
    req = urllib.request.Request(url, headers=headers or {}, method=method, data=data)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def test_compression_cache_and_security_headers(running):
    status, headers, body = _get(running.base + "/", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"]
    assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]
    import gzip

    page = gzip.decompress(body).decode()
    assets = re.findall(r'(?:src|href)="\./(static/[^"]+\.(?:js|css))"', page)
    assert assets, page[:500]
    status, headers, body = _get(f"{running.base}/{assets[0]}", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert "immutable" in headers["Cache-Control"] and "max-age=31536000" in \
        headers["Cache-Control"]
    if stack.BROTLI.exists():  # Debian's module installed (.ci/run installs it): brotli
        status, headers, _ = _get(f"{running.base}/{assets[0]}",
                                  {"Accept-Encoding": "br, gzip"})
        assert status == 200 and headers["Content-Encoding"] == "br"


def test_the_public_side_refuses_uploads(running):
    status, headers, _ = _get(f"{running.base}/_stcore/upload_file/x/y", method="PUT",
                              data=b"x" * 10)
    assert status == 403 and headers["Server"] == "nginx"
    assert _get(f"{running.base}/_stcore/health")[0] == 200


def _route(headers) -> str:
    return headers["Set-Cookie"].split(";", 1)[0]


def test_a_session_stays_on_one_replica(running):
    """Every request of one visitor (page, health, the websocket) reaches one replica;
    different visitors are spread over both (read from nginx's access log, which names
    the upstream of every request)."""
    from bench import protocol_load

    cookies = [_route(_get(running.base + "/")[1]) for _ in range(16)]
    for cookie in cookies:
        for path in ("/", "/_stcore/health", "/speerpunt-5"):
            _get(running.base + path, {"Cookie": cookie})
    v = protocol_load.Visitor(0)
    asyncio.run(_one_visit(protocol_load, v, running.base, cookies[0]))
    assert not v.errors, v.errors
    log = (running.root / "nginx" / "access.log").read_text()
    upstreams: dict[str, set[str]] = {}
    for route, upstream in re.findall(r"upstream=(\S+) route=(\S+)", log):
        upstreams.setdefault(upstream, set()).add(route)
    for cookie in cookies:
        value = cookie.split("=", 1)[1]
        assert len(upstreams[value]) == 1, (value, upstreams[value])
    assert "/_stcore/stream" in log
    replicas = {next(iter(v)) for k, v in upstreams.items() if k in
                {c.split("=", 1)[1] for c in cookies}}
    assert len(replicas) == 2, replicas


async def _one_visit(protocol_load, v, base: str, cookie: str) -> None:
    import websockets

    uri = base.replace("http://", "ws://") + "/_stcore/stream"
    async with websockets.connect(uri, subprotocols=["streamlit"], max_size=None,
                                  additional_headers={"Cookie": cookie}) as ws:
        widgets: dict = {}
        seconds, error = await protocol_load._run_script(
            ws, protocol_load._state(protocol_load.PAGE), widgets, 120)
        if error:
            v.errors.append(error)
        v.latencies["open"] = [seconds]
        v.widgets = widgets


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")
def test_the_board_opens_through_the_proxy_in_chromium(running):
    from playwright.sync_api import sync_playwright

    from . import browserkit
    from .test_browser import CHROMIUM_ARGS

    hosts: set[str] = set()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda r: hosts.add(urlparse(r.url).hostname or ""))
            page.goto(running.base + "/speerpunt-5", wait_until="domcontentloaded")
            maps = browserkit.rendered(page, timeout=120)
            assert maps >= 1
            _check_map_layout(page)
        finally:
            browser.close()
    assert hosts and hosts <= LOCAL, hosts


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")
def test_a_shared_deep_link_opens_its_page_on_a_fresh_replica(running):
    """The first request a new replica ever gets is a shared presentation link: it opens
    that page, not "Page not found" and the home page (issue 15, point 5)."""
    from playwright.sync_api import sync_playwright

    from .test_browser import CHROMIUM_ARGS

    replica = stack.start_streamlit("fresh", stack.free_port(), stack.replica_env(
        running.root), running.root / "logs" / "fresh.log")
    try:
        stack.wait_healthy([replica])
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                        args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.goto(replica.base + "/presentatie?presentatie=1&sp=5")
                page.get_by_text("Speerpunt 5").first.wait_for(timeout=60_000)
                page.wait_for_timeout(1500)  # a late "not found" dialog would be shown
                text = page.locator("body").inner_text()
                assert "scherm 1 van" in text, text[:500]
                assert "not found" not in text.lower() and "niet gevonden" not in text
                assert urlparse(page.url).path == "/presentatie"
            finally:
                browser.close()
    finally:
        stack.stop(replica)


def test_a_published_snapshot_reaches_an_open_session_without_an_error(running):
    """The editor publishes a new snapshot while a visitor's session is open on a replica:
    the same session's next run shows the new data, with no error (issue 15, point 4)."""
    import datetime as dt

    from bench import protocol_load

    from dashboard.actions import edit
    from dashboard.store import Store

    async def session() -> tuple[bytes, bytes, list[str]]:
        import websockets

        cookie = _route(_get(running.base + "/")[1])
        uri = running.base.replace("http://", "ws://") + "/_stcore/stream"
        errors: list[str] = []
        async with websockets.connect(uri, subprotocols=["streamlit"], max_size=None,
                                      additional_headers={"Cookie": cookie}) as ws:
            # the actions part, whose roll-up counts the published edit changes
            first = await _recorded_run(protocol_load, ws, errors, "deel=acties")
            with Store(running.root / "editor" / "dashboard.duckdb") as store:
                edit.set_status(store, "a5.3.07", "afgerond", "opgeleverd",
                                dt.date(2026, 11, 30), "test")
            await asyncio.to_thread(running.publish)
            second = await _recorded_run(protocol_load, ws, errors)
        return first, second, errors

    first, second, errors = asyncio.run(session())
    assert not errors, errors
    assert b"0 afgerond" in first and b"1 afgerond" not in first
    assert b"1 afgerond" in second


def test_the_maps_polygons_come_once_per_level_with_a_long_lifetime(running):
    """Issue 15, point 1: a map's message carries values, not polygons; the polygons are
    the level's static script (named after its content), which the proxy serves
    compressed, with a year's lifetime and the server's security headers."""
    import gzip

    from bench import protocol_load

    async def visit() -> tuple[bytes, list[str]]:
        import websockets

        cookie = _route(_get(running.base + "/")[1])
        uri = running.base.replace("http://", "ws://") + "/_stcore/stream"
        errors: list[str] = []
        async with websockets.connect(uri, subprotocols=["streamlit"], max_size=None,
                                      additional_headers={"Cookie": cookie}) as ws:
            return await _recorded_run(protocol_load, ws, errors), errors

    seen, errors = asyncio.run(visit())
    assert not errors, errors
    assert b"streamlit_folium" in seen or b"leaflet" in seen
    assert not re.search(rb"\[\[\[\d+\.\d+, \d+\.\d+\]", seen), "polygons in the map message"
    urls = set(re.findall(rb"/app/static/geo/[a-z0-9_]+-[0-9a-f]{16}\.js", seen))
    assert urls
    for url in sorted(urls):
        status, headers, body = _get(running.base + url.decode(), {"Accept-Encoding": "gzip"})
        assert status == 200 and headers["Content-Encoding"] == "gzip", headers
        assert "max-age=31536000" in headers["Cache-Control"], headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]
        assert gzip.decompress(body).startswith(b"window.DASHBOARD_GEOMETRY")
    leaflet = re.search(rb"/app/static/leaflet-[0-9.]+/leaflet\.js", seen)
    assert leaflet
    status, headers, _ = _get(running.base + leaflet.group().decode())
    assert status == 200 and "max-age=2592000" in headers["Cache-Control"], headers


async def _recorded_run(protocol_load, ws, errors: list[str], query: str | None = None
                        ) -> bytes:
    """One full run of the spearhead-5 page on an open socket: every message's bytes
    (``query``: the URL's query instead of the load test's)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = BackMsg()
    msg.rerun_script.CopyFrom(protocol_load._state(protocol_load.PAGE))
    if query is not None:
        msg.rerun_script.query_string = query
    await ws.send(msg.SerializeToString())
    seen = b""
    while True:
        data = await asyncio.wait_for(ws.recv(), 120)
        seen += data
        fm = ForwardMsg()
        fm.ParseFromString(data)
        if fm.WhichOneof("type") == "delta" and \
                fm.delta.new_element.WhichOneof("type") == "exception":
            errors.append(fm.delta.new_element.exception.message)
        if fm.WhichOneof("type") == "script_finished":
            return seen


def _check_map_layout(page) -> None:
    """What a visitor sees on the first map (issue 15, point 5): the scale bar and the
    legend clear of the attribution line, and the city fitted to the map with a small
    margin (its shapes span nearly the full height or width)."""
    frame = page.frame_locator('iframe[title*="streamlit_folium"]').first
    frame.locator("path.leaflet-interactive").first.wait_for()
    page.wait_for_timeout(500)
    box = frame.locator("body").evaluate(MAP_LAYOUT)
    assert box["scale"] and box["credit"] and box["legend"], box
    assert not overlap(box["scale"], box["credit"]), box
    assert not overlap(box["legend"], box["credit"]), box
    assert city_share(box) >= 0.85, box


def test_the_stack_command_is_documented_and_its_nginx_file_passes_the_check(tmp_path):
    """The one command of docs/deploy.md exists, and the nginx file it runs (the shipped
    one with the stack's ports and paths) passes ``nginx -t`` with three replicas."""
    import subprocess

    doc = (stack.PROJECT_ROOT / "docs" / "deploy.md").read_text()
    assert "python deploy/stack.py" in doc
    conf = stack.nginx_config(tmp_path, 18080, 18081, [18601, 18602, 18603], 18701)
    text = conf.read_text()
    assert text.count("server 127.0.0.1:186") == 3 and "max_fails=3" in text
    check = subprocess.run([stack.NGINX, "-t", "-c", str(conf), "-p", str(tmp_path), "-e",
                            str(tmp_path / "error.log")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
