"""The table of named groups that group specs (``PermGroup.parse("dihedral(12)")``) may call.

The symmetry core registers its own constructors (``trivial``, ``cyclic``, ...; see ``groups.py``). Layers
above it add theirs with :func:`register_group` when they are imported, e.g. the pose domain's
``skeleton16_flip``. So that a spec naming such a group parses in a process that has imported only the
package, a higher layer may also *declare* the module that registers a name
(:func:`declare_group_module`); the module is then imported the first time the name is looked up. The
declarations live in the package's top level (``asen_fm/__init__.py``), never in the symmetry core: this
module imports nothing from asen_fm, and the core names no module above it.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["declare_group_module", "group_builder", "group_names", "register_group"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BUILDERS: dict[str, Callable[..., Any]] = {}
_DECLARED: dict[str, str] = {}  # name -> module that registers it when imported


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"a group name must be an identifier such as 'skeleton16_flip', got {name!r}")
    return name


def register_group(name: str, builder: Callable[..., Any]) -> None:
    """Make ``name(args...)`` a group spec built by ``builder(*args)`` (which returns a ``PermGroup``).

    Registering the same builder again is a no-op; a different builder under a taken name is refused.
    """
    name = _check_name(name)
    if not callable(builder):
        raise ValueError(f"the builder of group {name!r} must be callable, got {type(builder).__name__}")
    taken = _BUILDERS.get(name)
    if taken is not None and _qualified(taken) != _qualified(builder):
        raise ValueError(f"group name {name!r} is already registered (by {_qualified(taken)})")
    _BUILDERS[name] = builder


def declare_group_module(module: str, names: Iterable[str]) -> None:
    """Record that importing ``module`` registers the groups ``names`` (imported on first look-up)."""
    for name in names:
        if _check_name(name) not in _BUILDERS:
            _DECLARED[name] = module


def group_builder(name: str) -> Callable[..., Any] | None:
    """The builder registered under ``name`` (importing its declared module if needed), else None."""
    if name not in _BUILDERS and name in _DECLARED:
        module = _DECLARED[name]
        importlib.import_module(module)
        if name not in _BUILDERS:
            raise RuntimeError(f"module {module} was declared to register group {name!r} but did not")
        del _DECLARED[name]
    return _BUILDERS.get(name)


def group_names() -> list[str]:
    """Every name a spec may call, registered or declared, sorted."""
    return sorted({*_BUILDERS, *_DECLARED})


def _qualified(builder: Callable[..., Any]) -> str:
    return f"{getattr(builder, '__module__', '?')}.{getattr(builder, '__qualname__', repr(builder))}"
