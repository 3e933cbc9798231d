"""Protocol-level load test: simulated visitors speak Streamlit's own websocket protocol
to the production stack (nginx in front of 1 and then 2 public replicas), so the
measurement is the server's, not 40 browsers' on the same cores.

    python bench/protocol_load.py [--visitors 200 [300 ...]] [--replicas 1 2] [--interactions 6]
                                  [--think 2 6] [--ramp 40] [--publish] [--out FILE]

Method
------
1. **Stack.** ``deploy/stack.py`` builds the editor's database, publishes a snapshot and
   starts N public replicas (``PUBLIC_MODE=1``, the snapshot read-only, the settings of
   ``deploy/config.toml``) behind Debian's nginx with ``deploy/nginx.conf`` (sticky
   ``board_route`` cookie, websocket upgrade, gzip). Each replica count gets a fresh stack
   in the same run, on the same snapshot.
2. **A visitor** is an asyncio task: ``GET /`` through the proxy (gets its routing cookie,
   as a browser would), opens ``/_stcore/stream`` with that cookie and the ``streamlit``
   subprotocol, sends a ``BackMsg.rerun_script`` for page ``speerpunt-5`` (the page's
   first run: *open*; ``?kaart=ontharding``, the unsealing map) and reads
   ``ForwardMsg``\\ s until ``script_finished``. From the deltas it learns the page's
   widgets (id, options, fragment). Then, at a person's pace (a think time drawn
   uniformly from ``--think`` seconds, seeded per visitor), it
   alternates **district** switches (the "Kies een gebied" select box: the next wijk;
   before the first one it opens the box that holds the list, a run of its own, counted
   as an interaction and timed as *list*) and
   **indicator** switches (the unsealing section's indicator radio), each a
   ``rerun_script`` with that widget's new value (and its fragment id when the widget is
   in one), timed from send to ``script_finished``. An exception element in the reply,
   a closed socket or no ``script_finished`` within ``--timeout`` counts as an error.
3. **Ramp.** Visitors start evenly spread over ``--ramp`` seconds (arrivals, not a
   thundering herd); all run their interactions; the run ends when the last finishes.
4. **Server readings.** CPU seconds (utime+stime of each replica process and its
   children, ``/proc``) and RSS (VmRSS) per replica before the visitors start, at their
   peak (sampled every second) and after; nginx's CPU too. RSS growth per session is
   (peak RSS − RSS before) / sessions on that replica.
5. **Snapshots under load** (``--publish``): halfway through the 2-replica run the editor
   publishes a new snapshot (``python -m dashboard publish``); interactions after it must
   run on the new snapshot with no errors.
6. **Capacity sweep** (several ``--visitors``): one run per visitor count on the same
   stack, in the order given. A replica count's *capacity at p95 ≤ 1 s* is the highest
   interactions/s among its runs whose district and indicator p95 were both ≤ 1 s with no
   error; the 2 : 1 ratio of those capacities is what "2 replicas sustain N× the
   interactions of 1 at the same p95" means here. (At a fixed visitor count the
   interactions/s are what the visitors ask for, not what the server could do, until it
   saturates.) Also which snapshot each replica served after a publish is recorded.

The load generator shares the machine with the server (2 cores here): its own CPU is
reported too, so a saturated generator is visible. A benchmark, not a test: nothing is
asserted. Results print as a table and, with ``--out``, go between
``<!-- protocol-load:start -->`` and ``<!-- protocol-load:end -->`` in that file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "bench"))

from stats import pct  # noqa: E402

from deploy import stack as stack_mod  # noqa: E402

PAGE = "speerpunt-5"
# The unsealing map (its indicator radio is the indicator switch): one map section is
# mounted at a time, chosen by the link's ``kaart``.
QUERY = "kaart=ontharding"
DISTRICT_KEY = "sp5_area"
# Until an area is chosen its list waits in a closed box (built on request): a visitor
# opens it once, as a person does before the first choice from the list.
DISTRICT_BOX_KEY = "sp5_area_list"
INDICATOR_KEY = "sp5_ontharding_ind"
MARKERS = ("<!-- protocol-load:start -->", "<!-- protocol-load:end -->")


@dataclass
class Widget:
    id: str
    kind: str
    options: list[str]
    fragment: str


@dataclass
class Visitor:
    n: int
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    finished_at: list[tuple[float, str]] = field(default_factory=list)
    replica: str = ""


def _key(widget_id: str) -> str:
    """A widget's user key from its id ('$$ID-<hash>-sp5_area' → 'sp5_area')."""
    return widget_id.split("-", 2)[-1] if widget_id.startswith("$$ID-") else widget_id


async def _run_script(ws, client_state, widgets: dict[str, Widget], timeout: float
                      ) -> tuple[float, str | None]:
    """Send one rerun and read until ``script_finished``: (seconds, error or None)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = BackMsg()
    msg.rerun_script.CopyFrom(client_state)
    start = time.perf_counter()
    await ws.send(msg.SerializeToString())
    error = None
    deadline = start + timeout
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return time.perf_counter() - start, "timeout"
        data = await asyncio.wait_for(ws.recv(), remaining)
        fm = ForwardMsg()
        fm.ParseFromString(data)
        kind = fm.WhichOneof("type")
        if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
            element = fm.delta.new_element
            etype = element.WhichOneof("type")
            if etype == "exception":
                error = f"exception: {element.exception.message[:120]}"
            sub = getattr(element, etype) if etype else None
            wid = getattr(sub, "id", "") if sub is not None else ""
            if wid:
                widgets[_key(wid)] = Widget(wid, etype, list(getattr(sub, "options", [])),
                                            fm.delta.fragment_id)
        elif kind == "delta" and fm.delta.WhichOneof("type") == "add_block":
            block = fm.delta.add_block
            if block.WhichOneof("type") == "expandable" and block.expandable.id:
                widgets[_key(block.expandable.id)] = Widget(block.expandable.id, "expander",
                                                            [], fm.delta.fragment_id)
        elif kind == "page_not_found":
            error = "page not found"
        elif kind == "script_finished":
            return time.perf_counter() - start, error


def _state(page: str, widget: Widget | None = None, value: str | None = None):
    from streamlit.proto.ClientState_pb2 import ClientState

    state = ClientState()
    state.page_name = page
    state.query_string = QUERY
    if widget is not None:
        w = state.widget_states.widgets.add()
        w.id = widget.id
        if widget.kind == "expander":
            w.bool_value = value == "open"
        else:
            w.string_value = value
        if widget.fragment:
            state.fragment_id = widget.fragment
    return state


async def visitor(v: Visitor, base: str, interactions: int, think: tuple[float, float],
                  timeout: float, start_delay: float) -> None:
    import websockets

    rng = random.Random(v.n)
    await asyncio.sleep(start_delay)
    try:
        cookie = await asyncio.to_thread(_route_cookie, base)
        uri = base.replace("http://", "ws://") + "/_stcore/stream"
        async with websockets.connect(uri, subprotocols=["streamlit"], max_size=None,
                                      additional_headers={"Cookie": cookie},
                                      open_timeout=timeout) as ws:
            widgets: dict[str, Widget] = {}
            seconds, error = await _run_script(ws, _state(PAGE), widgets, timeout)
            v.latencies.setdefault("open", []).append(seconds)
            v.finished_at.append((time.time(), "open"))
            if error:
                v.errors.append(f"open: {error}")
                return
            for i in range(interactions):
                await asyncio.sleep(rng.uniform(*think))
                kind = "district" if i % 2 == 0 else "indicator"
                box = widgets.get(DISTRICT_BOX_KEY)
                if kind == "district" and DISTRICT_KEY not in widgets and box is not None:
                    # The area list's box, opened (timed apart: "list").
                    seconds, error = await _run_script(ws, _state(PAGE, box, "open"),
                                                       widgets, timeout)
                    v.latencies.setdefault("list", []).append(seconds)
                    v.finished_at.append((time.time(), "list"))
                    if error:
                        v.errors.append(f"list: {error}")
                        continue
                widget = widgets.get(DISTRICT_KEY if kind == "district" else INDICATOR_KEY)
                if widget is None or len(widget.options) < 2:
                    v.errors.append(f"{kind}: widget not on the page")
                    continue
                value = widget.options[(i // 2 + 1 + v.n) % len(widget.options)]
                seconds, error = await _run_script(ws, _state(PAGE, widget, value), widgets,
                                                   timeout)
                v.latencies.setdefault(kind, []).append(seconds)
                v.finished_at.append((time.time(), kind))
                if error:
                    v.errors.append(f"{kind}: {error}")
    except Exception as exc:  # noqa: BLE001 (every failure of a visitor is counted)
        v.errors.append(f"{type(exc).__name__}: {str(exc)[:120]}")


def _route_cookie(base: str) -> str:
    with urllib.request.urlopen(base + "/", timeout=30) as resp:
        resp.read()
        found = resp.headers.get("Set-Cookie", "")
    return found.split(";", 1)[0]


# ------------------------------------------------------------------ /proc readings
def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def process_cpu_s(pid: int) -> float:
    """utime + stime of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def cpu_s(pid: int) -> float:
    """CPU seconds of a process and all its descendants."""
    return sum(process_cpu_s(p) for p in _tree(pid))


def rss_mb(pid: int) -> float:
    total = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def open_snapshots(pid: int) -> list[str]:
    """The snapshot folders whose files a replica process (tree) has open."""
    import re

    found = set()
    for p in _tree(pid):
        try:
            fds = os.listdir(f"/proc/{p}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{p}/fd/{fd}")
            except OSError:
                continue
            m = re.search(r"/(snap-[^/]+)/", target)
            if m:
                found.add(m.group(1))
    return sorted(found)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


async def _sample(pids: list[int], peaks: dict[int, float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for pid in pids:
            peaks[pid] = max(peaks.get(pid, 0.0), rss_mb(pid))
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except TimeoutError:
            pass


async def run_load(stack, visitors: int, interactions: int, think, timeout: float,
                   ramp: float, publish: bool) -> dict:
    pids = [r.proc.pid for r in stack.replicas]
    # Warm every replica directly (its caches, the first script run), not through the
    # proxy, so each one is warm whichever visitors it gets.
    for replica in stack.replicas:
        warm = Visitor(-1)
        await visitor(warm, replica.base, 2, (0, 0), timeout, 0)
        if warm.errors:
            raise RuntimeError(f"warm-up on {replica.base}: {warm.errors}\n"
                               f"{replica.output()}")
    rss_before = {pid: rss_mb(pid) for pid in pids}
    cpu_before = {pid: cpu_s(pid) for pid in pids}
    nginx_cpu = cpu_s(stack.nginx.proc.pid)
    self_before = resource.getrusage(resource.RUSAGE_SELF)
    peaks: dict[int, float] = {}
    stop = asyncio.Event()
    sampler = asyncio.create_task(_sample(pids, peaks, stop))
    published: dict = {}

    async def publisher() -> None:
        await asyncio.sleep(ramp + think[1] * interactions / 2)
        published["at"] = time.time()
        published["folder"] = await asyncio.to_thread(stack.publish)
        published["done"] = time.time()

    crowd = [Visitor(i) for i in range(visitors)]
    started = time.time()
    tasks = [visitor(v, stack.base, interactions, think, timeout, ramp * i / visitors)
             for i, v in enumerate(crowd)]
    if publish:
        tasks.append(publisher())
    await asyncio.gather(*tasks)
    elapsed = time.time() - started
    stop.set()
    await sampler
    self_after = resource.getrusage(resource.RUSAGE_SELF)
    per_replica = []
    for replica, pid in zip(stack.replicas, pids):
        per_replica.append({
            "name": replica.name, "cpu_s": round(cpu_s(pid) - cpu_before[pid], 1),
            "rss_before_mb": round(rss_before[pid], 1),
            "rss_peak_mb": round(max(peaks.get(pid, 0.0), rss_mb(pid)), 1),
            "rss_after_mb": round(rss_mb(pid), 1)})
    kinds: dict[str, list[float]] = {}
    for v in crowd:
        for kind, values in v.latencies.items():
            kinds.setdefault(kind, []).extend(values)
    interactions_done = sum(len(v) for k, v in kinds.items() if k != "open")
    out = {
        "replicas": len(stack.replicas), "visitors": visitors,
        "interactions_per_visitor": interactions, "think_s": list(think), "ramp_s": ramp,
        "elapsed_s": round(elapsed, 1),
        "interactions": interactions_done,
        "interactions_per_s": round(interactions_done / elapsed, 2),
        "latency": {k: {"n": len(v), "p50": round(pct(v, 50), 3),
                        "p95": round(pct(v, 95), 3), "max": round(max(v), 3)}
                    for k, v in sorted(kinds.items()) if v},
        "errors": sum(len(v.errors) for v in crowd),
        "error_examples": sorted({e for v in crowd for e in v.errors})[:5],
        "per_replica": per_replica,
        "nginx_cpu_s": round(cpu_s(stack.nginx.proc.pid) - nginx_cpu, 1),
        "generator_cpu_s": round(self_after.ru_utime + self_after.ru_stime
                                 - self_before.ru_utime - self_before.ru_stime, 1),
        "loadavg_end": loadavg(),
    }
    if published:
        after = [(t, k) for v in crowd for t, k in v.finished_at
                 if t > published["done"] and k != "open"]
        out["publish"] = {"folder": published["folder"], "seconds": round(
            published["done"] - published["at"], 1), "interactions_after": len(after),
            # which snapshot each replica has open after the run (it switches on its
            # next script run and keeps the previous one open for sessions mid-run)
            "open_after": {r.name: open_snapshots(pid)
                           for r, pid in zip(stack.replicas, pids)}}
    sessions = max(1, visitors // len(pids))
    out["rss_growth_mb_per_session"] = round(max(
        (r["rss_peak_mb"] - r["rss_before_mb"]) for r in per_replica) / sessions, 2)
    return out


def render(results: list[dict], args: argparse.Namespace, load_start: str) -> str:
    lines = [MARKERS[0], "",
             f"`python bench/protocol_load.py --visitors "
             f"{' '.join(map(str, args.visitors))} --replicas "
             f"{' '.join(map(str, args.replicas))} --interactions {args.interactions} "
             f"--think {args.think[0]:g} {args.think[1]:g} --ramp {args.ramp:g}"
             f"{' --publish' if args.publish else ''}`, "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores,"
             f" load average at the start {load_start}.", "",
             "| replicas | visitors | interactions/s | open p50 / p95 | "
             "district p50 / p95 / max | indicator p50 / p95 / max | errors | server CPU s |"
             " RSS growth MB/session | generator CPU s | load avg at the end |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lat = r["latency"]
        cell = _latency_cell
        cpu = " + ".join(f"{p['cpu_s']:g}" for p in r["per_replica"])
        lines.append(f"| {r['replicas']} | {r['visitors']} | {r['interactions_per_s']:g} | "
                     f"{cell(lat, 'open', False)} | {cell(lat, 'district')} | "
                     f"{cell(lat, 'indicator')} | "
                     f"{r['errors']} | {cpu} | {r['rss_growth_mb_per_session']:g} | "
                     f"{r['generator_cpu_s']:g} | {r['loadavg_end']} |")
    capacity = capacities(results)
    if len(capacity) > 1 or len(args.visitors) > 1:
        lines += ["", "Capacity at p95 ≤ 1 s (the highest interactions/s of a run whose district "
                  "and indicator p95 were both ≤ 1 s, with no error): " + "; ".join(
                      f"{n} replica{'s' if n > 1 else ''}: "
                      + (f"{c:g}/s" if c is not None else "none of the runs")
                      for n, c in sorted(capacity.items())) + "."]
        if capacity.get(1) and capacity.get(2):
            lines[-1] += f" Ratio 2 : 1 = {capacity[2] / capacity[1]:.2f}."
    for r in results:
        if "publish" in r:
            p = r["publish"]
            new = Path(str(p["folder"])).name
            switched = ", ".join(
                f"{name} {'has' if new in folders else 'does not have'} it open"
                f" ({' + '.join(folders) or 'none'})"
                for name, folders in p.get("open_after", {}).items())
            lines += ["", f"Snapshot {new} published during the {r['replicas']}-replica run "
                      f"({p['seconds']:g} s); {p['interactions_after']} interactions ran "
                      f"after it, {r['errors']} errors in the whole run. After the run: "
                      f"{switched}."]
    lines += ["", MARKERS[1]]
    return "\n".join(lines)


def capacities(results: list[dict], p95: float = 1.0) -> dict[int, float | None]:
    """Replica count → the highest interactions/s among its runs whose district and
    indicator p95 were both at most ``p95`` seconds with no error (None: no such run)."""
    out: dict[int, float | None] = {}
    for r in results:
        ok = r["errors"] == 0 and all(r["latency"].get(k, {}).get("p95", 0) <= p95
                                      for k in ("district", "indicator"))
        best = out.get(r["replicas"])
        if ok and (best is None or r["interactions_per_s"] > best):
            out[r["replicas"]] = r["interactions_per_s"]
        else:
            out.setdefault(r["replicas"], best)
    return out


def _latency_cell(lat: dict, kind: str, with_max: bool = True) -> str:
    if kind not in lat:
        return "–"
    v = lat[kind]
    return f"{v['p50']:.2f} / {v['p95']:.2f}" + (f" / {v['max']:.2f}" if with_max else "")


def write_doc(path: Path, block: str, markers: tuple[str, str] = MARKERS) -> None:
    """Put ``block`` between the markers of ``path`` (appended when they are missing)."""
    text = path.read_text() if path.exists() else ""
    if markers[0] in text and markers[1] in text:
        head, rest = text.split(markers[0], 1)
        text = head + block + rest.split(markers[1], 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--visitors", type=int, nargs="+", default=[200],
                    help="one run per count, on the same stack (a capacity sweep)")
    ap.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--interactions", type=int, default=6)
    ap.add_argument("--think", type=float, nargs=2, default=(2.0, 6.0))
    ap.add_argument("--ramp", type=float, default=40.0)
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--publish", action="store_true",
                    help="publish a snapshot halfway through the last replica count")
    ap.add_argument("--root", default="/tmp/board-protocol-load")
    ap.add_argument("--out", help="Markdown file to write the results block into")
    ap.add_argument("--json", help="also write the raw results here")
    args = ap.parse_args(argv)
    load_start = loadavg()
    results = []
    for i, n in enumerate(args.replicas):
        with stack_mod.running(Path(args.root), n, editor=False) as stack:
            for j, visitors in enumerate(args.visitors):
                last = i == len(args.replicas) - 1 and j == len(args.visitors) - 1
                result = asyncio.run(run_load(
                    stack, visitors, args.interactions, tuple(args.think), args.timeout,
                    args.ramp, args.publish and last))
                results.append(result)
                print(json.dumps(result, indent=1))
    block = render(results, args, load_start)
    print(block)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    if args.out:
        write_doc(Path(args.out), block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
