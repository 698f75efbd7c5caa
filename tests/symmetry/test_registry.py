"""The named-group registry: names other layers add, modules imported on first use, clashes refused."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from asen_fm.symmetry import PermGroup, registry


@pytest.fixture
def clean_registry() -> Iterator[None]:
    builders, declared = dict(registry._BUILDERS), dict(registry._DECLARED)
    yield
    registry._BUILDERS.clear()
    registry._BUILDERS.update(builders)
    registry._DECLARED.clear()
    registry._DECLARED.update(declared)


def _pair_swap(n: int) -> PermGroup:
    return PermGroup.from_cycles(n, "(0 1)")


def test_a_registered_name_parses_and_prints(clean_registry: None) -> None:
    with pytest.raises(ValueError, match="unknown group name 'pair_swap'"):
        PermGroup.parse("pair_swap(4)")
    registry.register_group("pair_swap", _pair_swap)
    registry.register_group("pair_swap", _pair_swap)  # the same builder again: a no-op
    group = PermGroup.parse("direct_product(pair_swap(4), cyclic(3))")
    assert group.order() == 6 and "pair_swap" in registry.group_names()
    with pytest.raises(ValueError, match="wrong arguments for pair_swap"):
        PermGroup.parse("pair_swap(4, 5)")


def test_clashing_or_malformed_registrations_are_refused(clean_registry: None) -> None:
    with pytest.raises(ValueError, match="'cyclic' is already registered"):
        registry.register_group("cyclic", _pair_swap)
    with pytest.raises(ValueError, match="must be an identifier"):
        registry.register_group("two words", _pair_swap)
    with pytest.raises(ValueError, match="must be callable"):
        registry.register_group("pair_swap", "not a function")  # type: ignore[arg-type]


def test_a_declared_module_is_imported_on_first_use(clean_registry: None, tmp_path, monkeypatch) -> None:
    (tmp_path / "planted_groups.py").write_text(
        "from asen_fm.symmetry import PermGroup\n"
        "from asen_fm.symmetry.registry import register_group\n"
        "register_group('planted_swap', lambda: PermGroup.from_cycles(3, '(0 2)'))\n"
    )
    (tmp_path / "forgetful_groups.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.declare_group_module("planted_groups", ["planted_swap"])
    registry.declare_group_module("forgetful_groups", ["forgotten"])
    assert "planted_groups" not in sys.modules and "planted_swap" in registry.group_names()
    assert PermGroup.parse("planted_swap()").contains([2, 1, 0])
    assert "planted_groups" in sys.modules
    with pytest.raises(RuntimeError, match="forgetful_groups was declared to register group 'forgotten'"):
        PermGroup.parse("forgotten()")
    for name in ("planted_groups", "forgetful_groups"):
        sys.modules.pop(name, None)


def test_the_skeleton_groups_are_declared_by_the_package() -> None:
    """asen_fm declares exactly the names the pose domain registers."""
    import asen_fm
    from asen_fm.domains.pose import skeleton

    registered = {
        name for name, builder in registry._BUILDERS.items() if builder.__module__ == skeleton.__name__
    }
    assert registered == set(asen_fm.SKELETON_GROUPS)
    for name in asen_fm.SKELETON_GROUPS:
        assert str(PermGroup.parse(f"{name}()")) == f"{name}()"
