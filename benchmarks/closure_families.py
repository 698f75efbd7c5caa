"""The hard 2-closure families and the raw-generator |G| cases of ``benchmarks/orbits.py``.

Each entry is (family, label, builder); builders return groups given by generators only, so every
|G| is computed from scratch.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from asen_fm.symmetry import PermGroup
from asen_fm.symmetry import families as F

Case = tuple[str, str, Callable[[], PermGroup]]

# The rows whose "before" time is measured (the slow cases named in issue 18 and a few per family).
BEFORE = {
    "AGL(1,13)",
    "AGL(1,31)",
    "AGL(1,47)",
    "AGL(1,53)",
    "PSL(2,13)",
    "PSL(2,25)",
    "PSL(2,49)",
    "PSL(3,3)",
    "PSL(3,7)",
    "S7 on pairs",
    "A7 on pairs",
    "A10 on pairs",
    "S5 wr S2 product",
    "S8 wr S2 product",
    "Paley(29)",
    "Paley(61)",
    "2x AGL(1,31) diagonal",
    "AGL(1,31) x AGL(1,31)",
    "AGL(1,7) wr S3",
    "2x PSL(2,13) diagonal",
}


def _primes(low: int, high: int) -> list[int]:
    return [p for p in range(low, high + 1) if all(p % d for d in range(2, int(p**0.5) + 1))]


def _prime_power(q: int) -> bool:
    p = next(d for d in range(2, q + 1) if q % d == 0)
    while q % p == 0:
        q //= p
    return q == 1


def raw(group: PermGroup) -> PermGroup:
    """The same generators without a closed-form order."""
    return PermGroup(group.n, group.generators)


def closure_cases(max_n: int = 100) -> list[Case]:
    """AGL(1, p), PSL(2, q), PSL(3, p), rank-3 actions and products of these, degree <= max_n."""
    agl, psl2 = F.affine_line, F.projective_line
    cases: list[Case] = []
    cases += [("AGL(1,p)", f"AGL(1,{p})", lambda p=p: agl(p)) for p in _primes(5, max_n)]
    cases += [
        ("PSL(2,q)", f"PSL(2,{q})", lambda q=q: psl2(q))
        for q in range(5, max_n, 2)
        if _prime_power(q) and q + 1 <= max_n
    ]
    cases += [
        ("PSL(3,p)", f"PSL(3,{p})", lambda p=p: F.projective_plane(p))
        for p in (2, 3, 5, 7)
        if p * p + p + 1 <= max_n
    ]
    pairs = [m for m in range(5, 30) if m * (m - 1) // 2 <= max_n]
    cases += [("rank 3: S_m on pairs", f"S{m} on pairs", lambda m=m: F.two_subsets(m)) for m in pairs]
    cases += [("rank 3: A_m on pairs", f"A{m} on pairs", lambda m=m: F.two_subsets(m, True)) for m in pairs]
    cases += [
        ("rank 3: S_m wr S_2 product", f"S{m} wr S2 product", lambda m=m: F.rook_product_action(m))
        for m in range(3, 11)
        if m * m <= max_n
    ]
    cases += [
        ("rank 3: Paley", f"Paley({p})", lambda p=p: F.paley_group(p))
        for p in _primes(5, max_n)
        if p % 4 == 1
    ]
    cases += [
        ("diagonal copies", f"{k}x AGL(1,{p}) diagonal", lambda p=p, k=k: F.diagonal_copies(agl(p), k))
        for p in _primes(5, max_n)
        for k in (2, 3)
        if k * p <= max_n
    ]
    cases += [
        ("diagonal copies", f"2x PSL(2,{q}) diagonal", lambda q=q: F.diagonal_copies(psl2(q), 2))
        for q in range(5, max_n, 2)
        if _prime_power(q) and 2 * (q + 1) <= max_n
    ]
    products = [(p, q) for p in (5, 13, 31, 47) for q in (7, 31, 53) if p + q <= max_n]
    cases += [
        (
            "direct products",
            f"AGL(1,{p}) x AGL(1,{q})",
            lambda p=p, q=q: F.direct_product_raw([agl(p), agl(q)]),
        )
        for p, q in products
    ]
    cases += [
        (
            "direct products",
            f"PSL(2,{q}) x AGL(1,{p})",
            lambda p=p, q=q: F.direct_product_raw([psl2(q), agl(p)]),
        )
        for q in (7, 25, 49)
        for p in (11, 47)
        if p + q + 1 <= max_n
    ]
    cases += [
        ("wreath products", f"AGL(1,{p}) wr S{k}", lambda p=p, k=k: F.wreath_imprimitive(agl(p), k))
        for p in (5, 7, 11, 13, 19)
        for k in (2, 3, 4, 5)
        if p * k <= max_n
    ]
    return cases


def order_cases(sizes: list[int]) -> list[Case]:
    """Raw generators: swap_halves, block products, wreath products, random subgroups at each n."""
    cases: list[Case] = []
    for n in sizes:
        rng = np.random.default_rng(n)
        cases += [
            ("swap_halves", f"swap_halves({n})", lambda n=n: raw(PermGroup.swap_halves(n))),
            (
                "block products",
                f"block_product({n // 2}, {n // 4}, {n - n // 2 - n // 4})",
                lambda n=n: raw(PermGroup.block_product([n // 2, n // 4, n - n // 2 - n // 4])),
            ),
            (
                "block products",
                f"block_product(10 x {n // 10})",
                lambda n=n: raw(PermGroup.block_product([n // 10] * 10)),
            ),
            (
                "wreath products",
                f"S_10 wr S_{n // 10}",
                lambda n=n: F.wreath_imprimitive(raw(PermGroup.symmetric(10)), n // 10),
            ),
            (
                "wreath products",
                f"C_5 wr S_{n // 5}",
                lambda n=n: F.wreath_imprimitive(raw(PermGroup.cyclic(5)), n // 5),
            ),
        ]
        halves = PermGroup.swap_halves(n)
        blocks = PermGroup.block_product([n // 2, n // 4, n - n // 2 - n // 4])
        gens_h = [halves.random_element(rng) for _ in range(2)]
        gens_b = [blocks.random_element(rng) for _ in range(2)]
        gens_s = [rng.permutation(n) for _ in range(3)]
        cases += [
            ("random subgroups", f"<2 random of swap_halves({n})>", lambda n=n, g=gens_h: PermGroup(n, g)),
            ("random subgroups", f"<2 random of blocks, n={n}>", lambda n=n, g=gens_b: PermGroup(n, g)),
            ("random subgroups", f"<3 random of S_{n}>", lambda n=n, g=gens_s: PermGroup(n, g)),
        ]
    return cases
