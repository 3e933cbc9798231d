"""Every setting of the board, declared once.

Each setting has a name, the environment variable that sets it, a default and a help
text. Values come from the environment (and, inside Streamlit, may be mirrored in
``st.secrets`` by the deployment); nothing else in the code reads ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import yaml

from .cityconfig import CityConfig, parse

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: str | None
    help: str
    kind: str = "text"  # "bool": read with parse_bool (one parser for every switch)


TRUE_WORDS = frozenset({"1", "true", "yes", "on", "ja"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", "nee", ""})


def parse_bool(env: str, value: str | None) -> bool:
    """A boolean setting: 1/true/yes/on/ja or 0/false/no/off/nee/empty (any case);
    anything else raises a ValueError naming the variable (a typo such as
    ``PUBLIC_MODE=of`` must not silently pick a side)."""
    word = "" if value is None else str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(
        f"{env}: '{value}' is not a yes/no value; use one of "
        f"{', '.join(sorted(TRUE_WORDS))} or {', '.join(sorted(w for w in FALSE_WORDS if w))} "
        "(or leave it empty)")


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "city_config",
        "DASHBOARD_CITY_CONFIG",
        str(PROJECT_ROOT / "data" / "city.yaml"),
        "YAML file describing the municipality: NIS code, catalog, areas, geodata layout.",
    ),
    Setting(
        "db_path",
        "DASHBOARD_DB_PATH",
        str(PROJECT_ROOT / "data" / "dashboard.duckdb"),
        "The DuckDB file holding catalog, areas, measurements and layers (built).",
    ),
    Setting(
        "db_lock_wait",
        "DASHBOARD_DB_LOCK_WAIT",
        "30",
        "Seconds the app and the CLI wait (with backoff) for the database file while another "
        "process holds it (a load, a build) before giving up with a message naming the file.",
    ),
    Setting(
        "geo_dir",
        "DASHBOARD_GEO_DIR",
        str(PROJECT_ROOT / "geo"),
        "The project's geometry store (GeoParquet per level, written by `geodata`).",
    ),
    Setting(
        "geodata_dir",
        "DASHBOARD_GEODATA_DIR",
        None,
        "Folder with official geodata to import on first start (e.g. ../shared/geo).",
    ),
    Setting(
        "static_dir",
        "DASHBOARD_STATIC_DIR",
        str(PROJECT_ROOT / "static"),
        "Folder Streamlit serves at /app/static; Leaflet is copied here at start.",
    ),
    Setting(
        "static_url",
        "DASHBOARD_STATIC_URL",
        "/app/static",
        "URL path under which the browser reaches the static folder.",
    ),
    Setting(
        "public_mode",
        "PUBLIC_MODE",
        "0",
        "1 = public read-only deployment: the editor and history pages do not exist "
        "(yes/no setting: 1/true/yes/on/ja or 0/false/no/off/nee; anything else is refused).",
        kind="bool",
    ),
    Setting(
        "editor_password_hash",
        "DASHBOARD_EDITOR_PASSWORD_HASH",
        None,
        "pbkdf2 hash of the editor password (python -m dashboard hash-password); may also "
        "be `editor_password_hash` in .streamlit/secrets.toml. Not used when [auth] is set.",
    ),
    Setting(
        "editors",
        "DASHBOARD_EDITORS",
        "",
        "Comma-separated e-mail allow-list for st.login (OIDC, [auth] in secrets.toml); may "
        "also be `editors = [...]` in secrets.toml.",
    ),
    Setting(
        "snapshot_dir",
        "DASHBOARD_SNAPSHOT_DIR",
        None,
        "Folder of published read-only snapshots. Editor: where `publish` writes; public "
        "replica (with PUBLIC_MODE=1): serve the snapshot CURRENT points to, no build.",
    ),
    Setting(
        "timezone",
        "DASHBOARD_TIMEZONE",
        "Europe/Brussels",
        "Time zone of dates people type and read (pinned views, meetings, history); "
        "stored moments are UTC.",
    ),
    Setting(
        "chromium",
        "DASHBOARD_CHROMIUM",
        "/usr/bin/chromium",
        "The chromium used to render exports (PNG of maps, PDF reports); Debian's package "
        "`chromium`. Without it the export buttons say so; everything else works.",
    ),
    Setting(
        "tiles",
        "DASHBOARD_TILES",
        "none",
        "Default base map: 'none' (works offline), 'grb', 'orthofoto' (Digitaal Vlaanderen "
        "WMTS) or 'osm' (OpenStreetMap).",
    ),
    Setting(
        "trusted_proxies",
        "DASHBOARD_TRUSTED_PROXIES",
        "0",
        "How many reverse proxies in front of the app append to X-Forwarded-For (0 = none: "
        "the header is ignored). The login throttle keys on the client address they report.",
    ),
)


@dataclass(frozen=True)
class Settings:
    city_config: Path
    db_path: Path
    geo_dir: Path
    geodata_dir: Path | None
    static_dir: Path
    static_url: str
    tiles: str
    public_mode: bool = False
    editor_password_hash: str | None = None
    editors: tuple[str, ...] = ()
    snapshot_dir: Path | None = None
    timezone: str = "Europe/Brussels"
    chromium: Path = Path("/usr/bin/chromium")
    trusted_proxies: int = 0
    db_lock_wait: float = 30.0
    city: CityConfig | None = field(default=None, compare=False, hash=False)

    @property
    def config_dir(self) -> Path:
        return self.city_config.parent

    @property
    def nis_code(self) -> str:
        return self.city.nis_code

    @property
    def catalog_dir(self) -> Path:
        return self.config_dir / self.city.catalog_dir

    @property
    def areas_file(self) -> Path | None:
        """The project's table of area codes and names; None: taken from the geodata."""
        name = self.city.areas_file
        return self.config_dir / name if name else None


@lru_cache(maxsize=8)
def _read_city(path: Path, mtime_ns: int) -> CityConfig:
    """The typed city configuration (frozen, so shared by every caller), read again only
    when the file changes (the load test found PyYAML parsing on every ``load_settings``
    call to be a third of a page run's server time). Raises InputError naming every
    problem of the file (cityconfig.parse)."""
    from .errors import InputError, Problem
    from .i18n import t

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as fh:
        try:
            raw = yaml.load(fh, Loader=loader)  # noqa: S506 (a safe loader)
        except yaml.YAMLError as exc:
            raise InputError([Problem(str(path), None, None, t(
                "geen geldige YAML: {error}", error=" ".join(str(exc).split())))]) from None
    return parse(raw, path)


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read every setting from ``env`` (default: the process environment)."""
    env = dict(os.environ if env is None else env)
    raw = {s.name: env.get(s.env) or s.default for s in SETTINGS}
    switches = {s.name: parse_bool(s.env, raw[s.name]) for s in SETTINGS if s.kind == "bool"}
    city_config = Path(raw["city_config"]).resolve()
    city = _read_city(city_config, city_config.stat().st_mtime_ns)
    tiles = (raw["tiles"] or "none").lower()
    if tiles not in {"none", "osm", "grb", "orthofoto"}:
        tiles = "none"
    return Settings(
        city_config=city_config,
        db_path=Path(raw["db_path"]).resolve(),
        geo_dir=Path(raw["geo_dir"]).resolve(),
        geodata_dir=Path(raw["geodata_dir"]).resolve() if raw["geodata_dir"] else None,
        static_dir=Path(raw["static_dir"]).resolve(),
        static_url=raw["static_url"].rstrip("/"),
        tiles=tiles,
        public_mode=switches["public_mode"],
        editor_password_hash=raw["editor_password_hash"] or None,
        editors=tuple(e.strip().lower() for e in (raw["editors"] or "").split(",") if e.strip()),
        snapshot_dir=Path(raw["snapshot_dir"]).resolve() if raw["snapshot_dir"] else None,
        timezone=_timezone(raw["timezone"]),
        chromium=Path(raw["chromium"]),
        trusted_proxies=_count(raw["trusted_proxies"], "DASHBOARD_TRUSTED_PROXIES"),
        db_lock_wait=_seconds(raw["db_lock_wait"], "DASHBOARD_DB_LOCK_WAIT"),
        city=city,
    )


def current_settings() -> Settings:
    """:func:`load_settings` of the process environment, made again only when a setting's
    variable, the working folder or the city file changes. Pages ask for the settings
    dozens of times per script run; resolving six paths each time was a tenth of a
    district switch's server time in the load test."""
    default = next(s.default for s in SETTINGS if s.name == "city_config")
    city = os.environ.get("DASHBOARD_CITY_CONFIG") or default
    try:
        mtime = os.stat(city).st_mtime_ns
    except OSError:
        mtime = None  # load_settings says what is wrong
    return _settings_for(env_fingerprint(), os.getcwd(), mtime)


@lru_cache(maxsize=8)
def _settings_for(_fingerprint: tuple, _cwd: str, _city_mtime: int | None) -> Settings:
    return load_settings()


def current_catalog_dir() -> Path:
    """The catalog folder of the configured city, cheaply (no full settings object): for
    lookups made many times per page, such as content translations."""
    settings = current_settings()
    return settings.city_config.parent / settings.city.catalog_dir


def _count(raw: str | None, env: str) -> int:
    try:
        value = int(str(raw or "0").strip())
    except ValueError:
        value = -1
    if not 0 <= value <= 10:
        raise ValueError(f"{env}: expected a whole number from 0 to 10, got '{raw}'")
    return value


def _seconds(raw: str | None, env: str) -> float:
    try:
        value = float(str(raw or "").strip())
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise ValueError(f"{env}: expected a number of seconds from 0 to 3600, got '{raw}'")
    return value


def _timezone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"DASHBOARD_TIMEZONE: unknown time zone '{name}'") from exc
    return name


@cache
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return load_settings()


def describe() -> str:
    """A Markdown table of all settings, for docs and ``--help``."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for s in SETTINGS:
        default = s.default
        if default and default.startswith(str(PROJECT_ROOT)):
            default = default.replace(str(PROJECT_ROOT), "<project>")
        lines.append(f"| `{s.env}` | `{default}` | {s.help} |")
    return "\n".join(lines)


def env_fingerprint(env: dict[str, str] | None = None) -> tuple[str | None, ...]:
    """The values of every setting's variable: a cache key that changes with the config."""
    env = os.environ if env is None else env
    return tuple(env.get(s.env) for s in SETTINGS)


def environ_without_settings(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (the process environment by default) without any setting's variable: the
    clean start for a server process that is then given its own settings (the stack, the
    browser tests, the load test)."""
    env = os.environ if env is None else env
    ours = {s.env for s in SETTINGS}
    return {k: v for k, v in env.items() if k not in ours}
