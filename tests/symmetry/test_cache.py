"""One |G| / 2-closure computation per canonical group, shared by the config warning, the model card
and ``asen orbits``."""

from __future__ import annotations

import warnings

import pytest

import asen_fm.symmetry.cache as cache
from asen_fm.cli import main
from asen_fm.configuration_asen import AsenConfig
from asen_fm.model_card import model_card_text
from asen_fm.symmetry import PermGroup, two_closure
from asen_fm.symmetry import families as F


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the groups whose 2-closure the cache really computed."""
    cache.cache_clear()
    seen: list[str] = []

    def counting(group: PermGroup):  # noqa: ANN202
        seen.append(str(group))
        return two_closure(group)

    monkeypatch.setattr(cache, "two_closure", counting)
    yield seen
    cache.cache_clear()


def test_every_form_of_a_group_hits_one_entry(calls: list[str]) -> None:
    group = PermGroup.parse("alternating(6)")
    results = [
        cache.cached_two_closure(group),
        cache.cached_two_closure("alternating(6)"),
        cache.cached_two_closure(group.to_json()),
        cache.cached_two_closure(str(group.to_json()).replace("'", '"')),
    ]
    assert calls == ["alternating(6)"]
    assert all(r is results[0] for r in results)
    assert results[0].closure_order == 720 and cache.cached_order(group) == 360
    assert cache.canonical_json(group) == cache.canonical_json(group.to_json())


def test_config_warning_and_model_card_share_the_computation(calls: list[str]) -> None:
    group = F.affine_line(47)
    with pytest.warns(UserWarning, match="not 2-closed"):
        config = AsenConfig(symmetries={"s": group})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        card = model_card_text(config)
        AsenConfig(symmetries={"s": group})  # the warning is repeated, the computation is not
    assert len(calls) == 1
    assert f"| s | `{group}` | 47 | 2162 |" in card


def test_cli_uses_the_cache(calls: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["orbits", "alternating(5)"]) == 0
    assert main(["orbits", "alternating(5)"]) == 0
    assert calls == ["alternating(5)"]
    assert capsys.readouterr().out.count("NOT 2-closed: |G^(2)| = 120 = 2 x |G|") == 2


def test_bad_groups_raise() -> None:
    with pytest.raises(ValueError, match="unknown group name"):
        cache.cached_order("nope(3)")
