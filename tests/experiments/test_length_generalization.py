"""The length-generalization study end to end in --smoke mode: four arms, scored at a new length."""

from __future__ import annotations

from test_smoke import run_smoke


def test_length_generalization_smoke(smoke_dirs) -> None:
    result = run_smoke("length_generalization", smoke_dirs)
    (table,) = result["tables"]
    assert [row[0] for row in table["rows"]] == ["family", "trivial", "relative", "family+kv"]
    assert [row[1] for row in table["rows"]] == ["reversal(*)", "trivial(*)", "relative(*)", "reversal(*)"]
    assert table["columns"][2:4] == ["n = 12 (trained)", "n = 16"]
    for arm in ("family", "trivial", "relative", "family+kv"):
        for n in ("12", "16"):
            assert 0 <= result["data"][f"palindrome/{arm}/{n}"]["mean"] <= 1
        assert result["data"]["palindrome/step_ms"][arm] > 0
    assert 0.5 <= result["data"]["palindrome/constant"]["16"] <= 1
    assert result["plots"] == ["accuracy_vs_length.png", "curves.png"]
