"""The Kubernetes manifests in deploy/k8s agree with the image and the local stack
(issue 15, point 2): the same port, health endpoint, roles, cookie, blocked endpoints and
snapshot volume as Dockerfile, deploy/nginx.conf and deploy/stack.py."""

from __future__ import annotations

import re

import yaml

from dashboard.settings import PROJECT_ROOT

K8S = PROJECT_ROOT / "deploy" / "k8s"


def _docs() -> dict[tuple[str, str], dict]:
    out = {}
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            out[(doc["kind"], doc["metadata"]["name"])] = doc
    return out


def _container(doc: dict) -> dict:
    (container,) = doc["spec"]["template"]["spec"]["containers"]
    return container


def _env(container: dict) -> dict[str, str]:
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def test_public_and_editor_roles_match_the_image_and_the_stack():
    docs = _docs()
    port = int(re.search(r"^EXPOSE (\d+)$", (PROJECT_ROOT / "Dockerfile").read_text(),
                         re.M).group(1))
    public = _container(docs[("Deployment", "board-public")])
    editor = _container(docs[("Deployment", "board-editor")])
    for c in (public, editor):
        assert c["ports"][0]["containerPort"] == port
        for probe in ("readinessProbe", "livenessProbe"):
            assert c[probe]["httpGet"]["path"] == "/_stcore/health"
    assert _env(public)["PUBLIC_MODE"] == "1"
    assert "PUBLIC_MODE" not in _env(editor)
    assert "STREAMLIT_SERVER_MAX_UPLOAD_SIZE" not in _env(public)  # no uploads in public
    assert _env(editor)["STREAMLIT_SERVER_MAX_UPLOAD_SIZE"] == "50"
    mounts = {m["name"]: m for m in public["volumeMounts"]}
    assert mounts["snapshots"]["readOnly"] is True
    assert _env(public)["DASHBOARD_SNAPSHOT_DIR"] == mounts["snapshots"]["mountPath"]
    editor_spec = docs[("Deployment", "board-editor")]["spec"]
    assert editor_spec["replicas"] == 1 and editor_spec["strategy"]["type"] == "Recreate"


def test_ingress_is_sticky_blocks_uploads_and_autoscaling_targets_the_replicas():
    docs = _docs()
    notes = docs[("Ingress", "board-public")]["metadata"]["annotations"]
    nginx = (PROJECT_ROOT / "deploy" / "nginx.conf").read_text()
    cookie = re.search(r"map \$cookie_(\w+) \$board_route", nginx).group(1)
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert notes["nginx.ingress.kubernetes.io/session-cookie-name"] == cookie
    for blocked in re.findall(r"location (/_stcore/\w+) \{ return 403; \}", nginx):
        assert f"location {blocked} {{ return 403; }}" in \
            notes["nginx.ingress.kubernetes.io/server-snippet"]
    assert "frame-ancestors" in notes["nginx.ingress.kubernetes.io/configuration-snippet"]
    # the same lifetimes for the static map files as the local proxy
    for path, lifetime in re.findall(r"location (/app/static/[\w-]+/?) \{[^}]*?expires (\w+);",
                                     nginx):
        assert f'if ($uri ~ "^{path}") {{ expires {lifetime}; }}' in \
            notes["nginx.ingress.kubernetes.io/configuration-snippet"], path
    assert "/app/static/geo/" in nginx
    backend = docs[("Ingress", "board-public")]["spec"]["rules"][0]["http"]["paths"][0]
    assert backend["backend"]["service"]["name"] == "board-public"
    hpa = docs[("HorizontalPodAutoscaler", "board-public")]["spec"]
    assert hpa["scaleTargetRef"]["name"] == "board-public"
    assert hpa["metrics"][0]["resource"]["name"] == "cpu"
    claims = {d["metadata"]["name"]: d for k, d in docs.items()
              if k[0] == "PersistentVolumeClaim"}
    assert claims["board-snapshots"]["spec"]["accessModes"] == ["ReadWriteMany"]
