"""Progress bars write a log file at most every few seconds, and nothing under CI."""

from __future__ import annotations

import io

import pytest
from tqdm import tqdm

from asen_fm.progress import LOG_INTERVAL, progress_bar


def _redraws(text: str) -> int:
    return text.count("\r") + text.count("\n")


def test_a_log_file_gets_few_updates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    plain, polite = io.StringIO(), io.StringIO()
    for _ in tqdm(range(3000), file=plain, mininterval=0, miniters=1):
        pass
    bar = progress_bar(range(3000), file=polite, miniters=1)
    assert bar.mininterval == LOG_INTERVAL >= 2 and not bar.disable
    for _ in bar:
        pass
    assert _redraws(plain.getvalue()) > 1000  # tqdm's own default on a file: a line per update
    assert 1 <= _redraws(polite.getvalue()) <= 4  # first draw, final draw (and a close newline)


def test_a_terminal_keeps_tqdms_refresh_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert progress_bar(range(3), file=Terminal()).mininterval == tqdm(range(3), file=Terminal()).mininterval


@pytest.mark.parametrize(("value", "disabled"), [("true", True), ("1", True), ("false", False), ("", False)])
def test_ci_turns_bars_off(monkeypatch: pytest.MonkeyPatch, value: str, disabled: bool) -> None:
    monkeypatch.setenv("CI", value)
    stream = io.StringIO()
    bar = progress_bar(range(5), file=stream, disable=False)
    assert bar.disable is disabled
    list(bar)
    assert (stream.getvalue() == "") is disabled
    assert progress_bar(range(5), file=stream, disable=True).disable  # an explicit disable still holds
