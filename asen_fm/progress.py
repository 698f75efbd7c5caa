"""Progress bars for long jobs, polite to log files: ``progress_bar`` is tqdm with this project's defaults.

On a terminal the bar redraws as tqdm usually does. When its stream (``file``, default stderr) is not a
terminal (a log file, a pipe) each
redraw is a new line, so the bar updates at most every ``LOG_INTERVAL`` seconds; under CI (the ``CI``
environment variable set, as CI services do) it is off. An explicit ``mininterval`` wins; an explicit
``disable=True`` still disables.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any

from tqdm.auto import tqdm

__all__ = ["LOG_INTERVAL", "progress_bar"]

LOG_INTERVAL = 5.0  # seconds between updates written to a log file


def _under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def progress_bar(iterable: Iterable[Any] | None = None, **kwargs: Any) -> tqdm:
    """``tqdm(iterable, **kwargs)``: off under CI, updated every ``LOG_INTERVAL`` s off a terminal."""
    stream = kwargs.get("file") or sys.stderr
    on_terminal = stream is not None and hasattr(stream, "isatty") and stream.isatty()
    kwargs["disable"] = bool(kwargs.get("disable", False)) or _under_ci()
    if not on_terminal:
        kwargs.setdefault("mininterval", LOG_INTERVAL)
        kwargs.setdefault("maxinterval", max(LOG_INTERVAL, kwargs["mininterval"]))
    return tqdm(iterable, **kwargs)
