"""``TaskSpec``: everything the package knows about one synthetic task, independent of any data."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

Head = Literal["token", "sequence"]
ProblemType = Literal["single_label_classification", "regression"]

# sampler(n, size, rng, **params) -> int64 inputs [size, n]; labeler(inputs, **params) -> labels
Sampler = Callable[..., np.ndarray]
Labeler = Callable[..., np.ndarray]


# The paper's two kinds of sequence task (Sec. 5.2): G-equivariant per-node binary labels at n = 10 with 2500
# examples, and G-invariant scalar targets at n = 8 with 8000 examples (one "unit"), trained with L1.
PER_NODE_BINARY: Mapping[str, Any] = MappingProxyType(
    {
        "head": "token",
        "default_n": 10,
        "default_size": 2500,
        "num_labels": 2,
        "problem_type": "single_label_classification",
        "loss": None,
        "metrics": ("accuracy", "sequence_accuracy"),
    }
)
INVARIANT_L1: Mapping[str, Any] = MappingProxyType(
    {
        "head": "sequence",
        "default_n": 8,
        "default_size": 8000,
        "num_labels": 1,
        "problem_type": "regression",
        "loss": "l1",
        "metrics": ("mae", "mse"),
    }
)


@dataclass(frozen=True, eq=False)
class TaskSpec:
    """A synthetic task: inputs x in V^n, labels y = label(x), and a group G with y(g.x) = g.y(x) (or = y(x)).

    ``label`` is a pure function of the inputs (vectorised over a leading batch axis), kept apart from
    ``sample`` so that tests can relabel permuted inputs and check the declared symmetry.
    """

    name: str
    description: str
    head: Head
    default_n: int
    default_size: int
    vocab_size: int
    num_labels: int
    problem_type: ProblemType
    loss: str | None
    metrics: tuple[str, ...]
    sample: Sampler
    label: Labeler
    group_name: str
    min_n: Callable[[Mapping[str, Any]], int]
    default_params: Mapping[str, Any] = field(default_factory=dict)
    even_n: bool = False
    vocab: Callable[[int, Mapping[str, Any]], int] | None = None
    alphabet: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "default_params", MappingProxyType(dict(self.default_params)))

    @property
    def metric(self) -> str:
        """The primary metric name (the first of ``metrics``)."""
        return self.metrics[0]

    @property
    def equivariant(self) -> bool:
        """True for per-node (equivariant) labels, False for one invariant target per example."""
        return self.head == "token"

    def resolve_params(self, **params: Any) -> dict[str, Any]:
        """Default parameters overridden by ``params``; unknown names raise ValueError."""
        unknown = sorted(set(params) - set(self.default_params))
        if unknown:
            allowed = ", ".join(sorted(self.default_params)) or "none"
            raise ValueError(f"task {self.name!r} has no parameter(s) {unknown}; allowed: {allowed}")
        resolved = dict(self.default_params)
        resolved.update(params)
        for key, value in resolved.items():
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
                raise ValueError(f"task {self.name!r}: parameter {key}={value!r} must be an int")
            resolved[key] = int(value)
        return resolved

    def check_n(self, n: int, **params: Any) -> None:
        """Raise ValueError unless the task is defined at sequence length ``n`` with these parameters."""
        resolved = self.resolve_params(**params)
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise ValueError(f"task {self.name!r}: n must be an int, got {n!r}")
        lowest = self.min_n(resolved)
        if n < lowest:
            shown = ", ".join(f"{k}={v}" for k, v in resolved.items())
            raise ValueError(f"task {self.name!r} needs n >= {lowest} (params: {shown or 'none'}), got n={n}")
        if self.even_n and n % 2:
            raise ValueError(f"task {self.name!r} splits the input into two halves: n must be even, got {n}")

    def group_spec(self, n: int, **params: Any) -> str:
        """The spec string (for ``PermGroup.parse``) of the task's symmetry group at length ``n``."""
        self.check_n(n, **params)
        return f"{self.group_name}({n})"

    def vocab_size_for(self, n: int, **params: Any) -> int:
        """Number of token ids (max id + 1) used at length ``n`` with these parameters."""
        resolved = self.resolve_params(**params)
        return self.vocab_size if self.vocab is None else self.vocab(n, resolved)

    def render(self, ids: np.ndarray) -> str:
        """Tokens as text: characters of ``alphabet`` when the task has one, else space-separated ids."""
        ids = np.asarray(ids).tolist()
        if self.alphabet is None:
            return " ".join(str(i) for i in ids)
        return "".join(self.alphabet[i] for i in ids)

    def generate(self, n: int, size: int, rng: np.random.Generator, **params: Any) -> dict[str, np.ndarray]:
        """Draw ``size`` examples: ``{"input_ids": int64 [size, n], "labels": [size, n] or [size]}``."""
        self.check_n(n, **params)
        if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 1:
            raise ValueError(f"task {self.name!r}: size must be a positive int, got {size!r}")
        resolved = self.resolve_params(**params)
        inputs = self.sample(n, int(size), rng, **resolved)
        return {"input_ids": inputs, "labels": self.label(inputs, **resolved)}
