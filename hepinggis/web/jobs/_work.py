"""What the worker processes do: one function per job kind (`RUNNERS`), and a failed job's one
Chinese line (`describe`). Imported only in the workers (it pulls in the stages); everything a
job stores is written in the transaction that marks it done. The jobs themselves are in
`_work_import` (preview, import, map), `_work_merge`, `_work_products` (packages, the plan map,
monitoring, boundaries), with `_work_areas` (per-area tables) and `_work_common`."""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hepinggis.base.messages import Said, for_page
from hepinggis.errors import HepingGISError
from hepinggis.web.jobs._work_areas import _where as _where  # the workers' warm-up and the tests use these here
from hepinggis.web.jobs._work_areas import per_area as per_area
from hepinggis.web.jobs._work_areas import places as places
from hepinggis.web.jobs._work_import import _import, _map, _preview
from hepinggis.web.jobs._work_import import _project_rows as _project_rows
from hepinggis.web.jobs._work_import import _write_map as _write_map
from hepinggis.web.jobs._work_light import (
    JOB_PREFIX,
    one_line,
)
from hepinggis.web.jobs._work_merge import _merge
from hepinggis.web.jobs._work_products import _boundary, _figures, _monitor, _package, _plan_map
from hepinggis.web.store._store import Store

__all__ = ["describe", "run"]

warnings.simplefilter("ignore")


Runner = Callable[[Store, dict[str, Any], dict[str, Any]], None]


def describe(exc: BaseException, job: dict[str, Any]) -> str:
    """One Chinese line for a failed job; internal paths are replaced by the user's file name."""
    params = json.loads(job.get("params_json") or "{}")
    said = exc.args[0] if exc.args and isinstance(exc.args[0], Said) else None
    if said is not None:  # a condition of the catalogue: its page wording, the file by its name
        return one_line(_hide_paths(f"{JOB_PREFIX.get(job['kind'], '处理失败')}：{said.page}", params))
    if isinstance(exc, HepingGISError | ValueError | KeyError | OSError):
        text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        line = f"{JOB_PREFIX.get(job['kind'], '处理失败')}：{text}"
    else:
        line = "处理失败：程序遇到意外情况，请联系管理员（详情已记入服务器日志）"
        print(f"job {job.get('id')} {type(exc).__name__}: {exc}", file=sys.stderr)
    return one_line(for_page(_hide_paths(line, params)))  # text from outside the catalogue


def _hide_paths(text: str, params: dict[str, Any]) -> str:
    name = str(params.get("file_name") or "上传的文件")
    sha = params.get("sha256")
    if sha:
        for kind in ("csv", "xlsx", "xls", "zip", "gpkg"):
            text = text.replace(f"{sha}.{kind}", name)
    for root in (str(Path(params.get("data_dir", "/nonexistent"))),):
        text = text.replace(root + os.sep, "")
    import re

    text = re.sub(r"(/[^\s:：,，]+)+/(" + re.escape(name) + ")", r"\2", text)
    # a job's own work folder (tmp/SERVER/boundary-…/in/…, tmp/package-…) is never shown: the file's
    # name is, and a bare folder is dropped
    text = re.sub(r"(?:[^\s:：,，]*/)?tmp/(?:[^\s:：,，/]+/)+([^/\s:：,，]+)", r"\1", text)
    text = re.sub(r"(?:[^\s:：,，]*/)?tmp/[^\s:：,，]*", "", text)
    return re.sub(r"\b[0-9a-f]{64}\.[a-z]+\b", name, text)  # a stored file is the clerk's file


RUNNERS: dict[str, Runner] = {
    "merge": _merge,
    "preview": _preview,
    "import": _import,
    "package": _package,
    "plan_map": _plan_map,
    "map": _map,
    "figures": _figures,
    "monitor": _monitor,
    "boundary": _boundary,
}


def run(store: Store, job: dict[str, Any]) -> None:
    """Run one claimed job."""
    params = json.loads(job.get("params_json") or "{}")
    runner = RUNNERS.get(job["kind"])
    if runner is None:
        raise HepingGISError(f"未知的任务类型 {job['kind']}")
    runner(store, job, params)
