"""Reading group spec strings such as ``"dihedral(12)"`` or ``"direct_product(cyclic(3), trivial(2))"``.

A spec is a call ``name(arg, ...)`` whose arguments are integers, lists of integers, quoted strings,
bare words (read as strings, e.g. ``grid(8, 8, torus)``), ``*`` (a free degree: the family specs
``reversal(*)``, ``grid(*, *, torus)``, read as the string ``"*"``) or nested specs. The text is parsed with
:mod:`ast` and walked by hand; nothing is ever evaluated.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Union

__all__ = ["FREE", "SpecCall", "has_free_degree", "parse_spec"]

FREE = "*"  # a free degree argument
_FREE_NAME = "__free_degree__"
_FREE_ARG = re.compile(r"(?<=[(,])\s*\*\s*(?=[,)])")

SpecArg = Union[int, str, list, "SpecCall"]


@dataclass(frozen=True)
class SpecCall:
    """One ``name(args...)`` node of a parsed spec."""

    name: str
    args: tuple[SpecArg, ...]


def parse_spec(text: str) -> SpecCall:
    """Parse ``text`` into a :class:`SpecCall` tree; ValueError naming the problem if it is malformed."""
    if not isinstance(text, str):
        raise ValueError(f"a group spec must be a string, got {type(text).__name__}")
    try:
        tree = ast.parse(_FREE_ARG.sub(_FREE_NAME, text.strip()), mode="eval")
    except SyntaxError as err:
        raise ValueError(f"cannot parse group spec {text!r}: {err.msg}") from None
    node = tree.body
    if isinstance(node, ast.Name):  # "symmetric" alone is not a spec: the degree is missing
        glued = re.fullmatch(r"([A-Za-z_]*[A-Za-z_])(\d+)", node.id)  # "dihedral12": the degree glued on
        example = f"{glued[1]}({glued[2]})" if glued else f"{node.id}(8)"
        raise ValueError(f"group spec {text!r} needs arguments in parentheses, e.g. {example}")
    return _call(node, text)


def _call(node: ast.expr, text: str) -> SpecCall:
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise ValueError(f"group spec {text!r} must look like name(arg, ...)")
    if node.keywords:
        names = ", ".join(kw.arg or "**" for kw in node.keywords)
        raise ValueError(f"group spec {text!r}: keyword arguments ({names}) are not supported")
    return SpecCall(node.func.id, tuple(_arg(a, text) for a in node.args))


def _arg(node: ast.expr, text: str) -> SpecArg:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, (int, str))
        and not isinstance(node.value, bool)
    ):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _arg(node.operand, text)
        if isinstance(inner, int):
            return -inner
    if isinstance(node, ast.Name):
        return FREE if node.id == _FREE_NAME else node.id
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_arg(e, text) for e in node.elts]
        if all(isinstance(i, (int, list)) for i in items):
            return items  # type: ignore[return-value]
        raise ValueError(f"group spec {text!r}: lists may only hold integers or lists of integers")
    if isinstance(node, ast.Call):
        return _call(node, text)
    raise ValueError(f"group spec {text!r}: cannot read argument {ast.unparse(node)!r}")


def has_free_degree(call: SpecCall) -> bool:
    """Whether a parsed spec has a ``*`` argument anywhere (a family across sizes, not one group)."""
    return any(a == FREE or (isinstance(a, SpecCall) and has_free_degree(a)) for a in call.args)
