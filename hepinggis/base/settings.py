"""Every setting of hepinggis in one place: the environment variables, their defaults, and the
adopted boundaries in use.

The environment is read here and nowhere else (a test checks that no other module reads a
``HEPINGGIS_*`` variable): code asks `settings()` for a typed, frozen `Settings`, read afresh at
each call, so a variable set before a call (or a server started) is the one that counts. The
adopted boundaries in use are the one setting that is not an environment variable:
`hepinggis.use_boundaries` sets them for the code inside its ``with`` (a context variable,
`BOUNDARIES`), and `Settings.boundaries` shows them. ``docs/settings.md`` lists the variables (a
test checks it lists `VARIABLES`).

Examples
--------
>>> s = settings({"HEPINGGIS_TZ": "Asia/Urumqi", "HEPINGGIS_JOB_STALE_S": "5"})
>>> s.tz, s.job_stale_s, s.warm_wait_s, s.boundaries
('Asia/Urumqi', 5.0, 30.0, None)
>>> settings({}).tz
'Asia/Shanghai'
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["BOUNDARIES", "VARIABLES", "Settings", "settings"]

#: The GeoPackage of adopted boundaries in use (None: the bundled layers); set by
#: `hepinggis.use_boundaries`.
BOUNDARIES: ContextVar[Path | None] = ContextVar("hepinggis_boundaries", default=None)


def __getattr__(name: str) -> Any:
    if name == "LAYERS":  # the name until issue 38 (item 4); kept one release
        warnings.warn("settings.LAYERS is deprecated: use settings.BOUNDARIES", FutureWarning, stacklevel=2)
        return BOUNDARIES
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class Settings:
    """The settings in force.

    Attributes
    ----------
    tz : str
        ``HEPINGGIS_TZ``: the IANA zone times are shown in (default ``Asia/Shanghai``, Beijing time;
        an unknown name falls back to it).
    tianditu_key : str or None
        ``HEPINGGIS_TIANDITU_KEY``: the 天地图 key of the tianditu basemaps (none by default).
    key_file : Path
        ``HEPINGGIS_KEY_FILE``: the server's signing key for the audit chain and dumps (default
        ``~/.config/hepinggis/signing.key``).
    syslog : str
        ``HEPINGGIS_SYSLOG``: where audit rows are also sent: ``/dev/log``, ``host`` or
        ``host:port`` (empty by default: nowhere).
    ogc_public : str or None
        ``HEPINGGIS_OGC_PUBLIC``: the OGC collections anyone may read, comma-separated (unset: the
        store's setting, by default none).
    audit_reads : str or None
        ``HEPINGGIS_AUDIT_READS``: ``1``/``true``/``yes``/``是`` to audit every OGC read (unset: the
        store's setting).
    ogc_basic_http : str or None
        ``HEPINGGIS_OGC_BASIC_HTTP``: ``1`` to take QGIS's HTTP Basic login on ``/ogc`` over plain HTTP
        from other machines too (unset: the store's setting; by default only over HTTPS or from the
        server's own machine).
    job_memory : str or None
        ``HEPINGGIS_JOB_MEMORY``: memory a job may take beyond its warm worker, as ``3GB``,
        ``500MB`` (unset: 3 GB; parsed by `hepinggis.web.jobs._limits.JobLimits`).
    job_seconds : str or None
        ``HEPINGGIS_JOB_SECONDS``: a job's time limit, one number of seconds or
        ``light,heavy,build`` (unset: ``120,900,1800``).
    light_bytes : str or None
        ``HEPINGGIS_LIGHT_BYTES``: files up to this size go to the light job lane (unset: 4 MB).
    warm_wait_s : float
        ``HEPINGGIS_WARM_WAIT_S``: how long a starting server waits for warm workers (30 s).
    job_stale_s : float
        ``HEPINGGIS_JOB_STALE_S``: a running job whose heartbeat is older belongs to a dead server
        (40 s).
    web_debug : bool
        ``HEPINGGIS_WEB_DEBUG``: any value prints a failed job's traceback on the server's stderr
        (the page still shows one Chinese line).
    web_faults : bool
        ``HEPINGGIS_WEB_FAULTS``: ``1`` enables the fault injection of the kill tests (never in
        production).
    web_hold_at : str or None
        ``HEPINGGIS_WEB_HOLD_AT``: with ``web_faults``, a job reaching a step whose progress message
        starts so waits there (for the kill tests).
    warm_up : str
        ``HEPINGGIS_WARM_UP``: what a starting server's warm parent does before it forks the
        workers: ``full`` (default: imports the stack and runs a small job of each kind) or
        ``imports`` (only the imports: the test suite's short-lived servers).
    test_cheap_hashes : bool
        ``HEPINGGIS_TEST_CHEAP_HASHES``: ``1`` *inside a pytest run* (``PYTEST_VERSION`` set) makes
        argon2 use its cheapest parameters, for the test suite's many logins; ignored anywhere else.
    font_cache : Path or None
        ``HEPINGGIS_FONT_CACHE``: the folder where the monitoring PDFs' CJK font subsets are kept
        between runs; ``0`` keeps none (unset: ``$XDG_CACHE_HOME/hepinggis/fonts``, by default
        ``~/.cache/hepinggis/fonts``).
    boundaries : Path or None
        The GeoPackage of adopted boundaries in use (`hepinggis.use_boundaries`), None for the
        bundled layers; not an environment variable.
    """

    tz: str = "Asia/Shanghai"
    tianditu_key: str | None = None
    key_file: Path = Path("~/.config/hepinggis/signing.key")
    syslog: str = ""
    ogc_public: str | None = None
    audit_reads: str | None = None
    ogc_basic_http: str | None = None
    job_memory: str | None = None
    job_seconds: str | None = None
    light_bytes: str | None = None
    warm_wait_s: float = 30.0
    job_stale_s: float = 40.0
    web_debug: bool = False
    web_faults: bool = False
    web_hold_at: str | None = None
    warm_up: str = "full"
    test_cheap_hashes: bool = False
    font_cache: Path | None = None
    boundaries: Path | None = None

    @property
    def layers(self) -> Path | None:
        """Deprecated name of `boundaries` (until issue 38, item 4); kept one release."""
        warnings.warn("Settings.layers is deprecated: use Settings.boundaries", FutureWarning, stacklevel=2)
        return self.boundaries


#: Each environment variable and the `Settings` field it sets.
VARIABLES: dict[str, str] = {
    "HEPINGGIS_TZ": "tz",
    "HEPINGGIS_TIANDITU_KEY": "tianditu_key",
    "HEPINGGIS_KEY_FILE": "key_file",
    "HEPINGGIS_SYSLOG": "syslog",
    "HEPINGGIS_OGC_PUBLIC": "ogc_public",
    "HEPINGGIS_AUDIT_READS": "audit_reads",
    "HEPINGGIS_OGC_BASIC_HTTP": "ogc_basic_http",
    "HEPINGGIS_JOB_MEMORY": "job_memory",
    "HEPINGGIS_JOB_SECONDS": "job_seconds",
    "HEPINGGIS_LIGHT_BYTES": "light_bytes",
    "HEPINGGIS_WARM_WAIT_S": "warm_wait_s",
    "HEPINGGIS_JOB_STALE_S": "job_stale_s",
    "HEPINGGIS_WEB_DEBUG": "web_debug",
    "HEPINGGIS_WEB_FAULTS": "web_faults",
    "HEPINGGIS_WEB_HOLD_AT": "web_hold_at",
    "HEPINGGIS_WARM_UP": "warm_up",
    "HEPINGGIS_TEST_CHEAP_HASHES": "test_cheap_hashes",
    "HEPINGGIS_FONT_CACHE": "font_cache",
}


def _seconds(text: str | None, default: float) -> float:
    try:
        value = float(text) if text and text.strip() else default
    except ValueError:
        return default
    return value if value > 0 else default


def settings(env: Mapping[str, str] | None = None) -> Settings:
    """The settings in force: the environment (or ``env``) over the defaults, and the adopted
    boundaries in use.

    Parameters
    ----------
    env : mapping, optional
        The variables to read instead of the process's environment (for tests and for a child
        process's environment).

    Returns
    -------
    Settings
    """
    env = os.environ if env is None else env
    default = Settings()

    def text(name: str) -> str | None:
        value = env.get(name)
        return value if value is not None and value.strip() != "" else None

    key_file = text("HEPINGGIS_KEY_FILE")
    return Settings(
        tz=(env.get("HEPINGGIS_TZ") or "").strip() or default.tz,
        tianditu_key=text("HEPINGGIS_TIANDITU_KEY"),
        key_file=Path(key_file) if key_file else Path.home() / ".config" / "hepinggis" / "signing.key",
        syslog=env.get("HEPINGGIS_SYSLOG", ""),
        ogc_public=env.get("HEPINGGIS_OGC_PUBLIC"),  # set but empty: public to nobody, whatever the store says
        audit_reads=env.get("HEPINGGIS_AUDIT_READS"),
        ogc_basic_http=env.get("HEPINGGIS_OGC_BASIC_HTTP"),
        job_memory=text("HEPINGGIS_JOB_MEMORY"),
        job_seconds=text("HEPINGGIS_JOB_SECONDS"),
        light_bytes=text("HEPINGGIS_LIGHT_BYTES"),
        warm_wait_s=_seconds(env.get("HEPINGGIS_WARM_WAIT_S"), default.warm_wait_s),
        job_stale_s=_seconds(env.get("HEPINGGIS_JOB_STALE_S"), default.job_stale_s),
        web_debug=bool(env.get("HEPINGGIS_WEB_DEBUG")),
        web_faults=env.get("HEPINGGIS_WEB_FAULTS") == "1",
        web_hold_at=text("HEPINGGIS_WEB_HOLD_AT"),
        warm_up=(text("HEPINGGIS_WARM_UP") or default.warm_up).strip().lower(),
        test_cheap_hashes=env.get("HEPINGGIS_TEST_CHEAP_HASHES") == "1" and bool(env.get("PYTEST_VERSION")),
        font_cache=_font_cache(text("HEPINGGIS_FONT_CACHE"), text("XDG_CACHE_HOME")),
        boundaries=BOUNDARIES.get(),
    )


def _font_cache(given: str | None, xdg: str | None) -> Path | None:
    if given is not None and given.strip() == "0":
        return None
    if given is not None and given.strip() != "1":
        return Path(given).expanduser()
    return Path(xdg or Path.home() / ".cache") / "hepinggis" / "fonts"
