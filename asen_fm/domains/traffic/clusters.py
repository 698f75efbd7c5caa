"""Cluster groups S_{C_1} x S_{C_2} x ... on arbitrary index sets, and a helper that makes clusters.

``cluster_group([0, 0, 1, 2, 1, ...])`` permutes the sensors of each cluster freely among themselves
(the clusters need not be consecutive, unlike ``block_product``). Its order is known in closed form,
prod |C_k|!, so nothing ever runs Schreier-Sims on S_130 x S_77.

``make_clusters`` is a helper for users who do not have the paper's cluster assignment (taken from
Maron et al.'s setup): it makes k clusters from the road graph (spectral clustering of the weight
matrix) or from sensor coordinates (k-means). It is a reasonable default, not the paper's assignment.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from asen_fm.symmetry import PermGroup

__all__ = [
    "cluster_group",
    "cluster_sizes",
    "kmeans",
    "make_clusters",
    "normalize_clusters",
    "read_clusters",
    "spectral_clusters",
]


def normalize_clusters(assignment: Sequence[Any] | np.ndarray) -> np.ndarray:
    """Cluster labels (any hashable values, one per node) -> int64 ids 0..k-1 by first occurrence."""
    labels = list(np.asarray(assignment).tolist()) if isinstance(assignment, np.ndarray) else list(assignment)
    if not labels:
        raise ValueError("a cluster assignment needs at least one node")
    ids: dict[Any, int] = {}
    out = np.empty(len(labels), dtype=np.int64)
    for i, label in enumerate(labels):
        if isinstance(label, (list, dict, set)):
            raise ValueError(f"cluster label of node {i} must be a scalar, got {label!r}")
        out[i] = ids.setdefault(label, len(ids))
    return out


def cluster_sizes(assignment: Sequence[Any] | np.ndarray) -> list[int]:
    """Sizes of clusters 0..k-1 (ids by first occurrence)."""
    return np.bincount(normalize_clusters(assignment)).tolist()


def cluster_group(assignment: Sequence[Any] | np.ndarray) -> PermGroup:
    """S_{C_1} x ... x S_{C_k}: each cluster's nodes permuted freely; order prod |C_k|! (closed form).

    The spec ``clusters([...])`` (``PermGroup.clusters``), after checking that every label is a scalar.
    """
    return PermGroup.clusters(normalize_clusters(assignment))


def read_clusters(path: str | Path) -> np.ndarray:
    """A cluster assignment from a file: ``.npy``; ``.json`` (a list, or ``{"clusters": [...]}``); or
    text/CSV with one node per line whose last comma-separated field is its cluster (a header line
    that does not parse is skipped). Returns int64 ids 0..k-1 by first occurrence."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"cluster file {path} does not exist")
    if path.suffix == ".npy":
        return normalize_clusters(np.load(path, allow_pickle=False).reshape(-1))
    if path.suffix == ".json":
        obj = json.loads(path.read_text())
        if isinstance(obj, dict):
            if "clusters" not in obj:
                raise ValueError(f"cluster file {path}: a JSON object needs a 'clusters' list")
            obj = obj["clusters"]
        if not isinstance(obj, list):
            raise ValueError(f"cluster file {path}: expected a JSON list of cluster labels")
        return normalize_clusters(obj)
    labels = []
    for k, line in enumerate(path.read_text().splitlines()):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        field = line.split(",")[-1].strip()
        try:
            labels.append(int(field))
        except ValueError:
            if k == 0:
                continue  # header
            labels.append(field)  # type: ignore[arg-type]
    return normalize_clusters(labels)


def kmeans(points: np.ndarray, k: int, seed: int = 0, iters: int = 100) -> np.ndarray:
    """Lloyd's k-means, k-means++ seeding (deterministic by seed): int64 labels, ids by first occurrence."""
    x = np.asarray(points, dtype=np.float64)
    if x.ndim != 2 or len(x) < k or k < 1:
        raise ValueError(f"kmeans needs points [m, d] with m >= k >= 1, got shape {x.shape} and k={k}")
    rng = np.random.default_rng(seed)
    centres = [x[rng.integers(len(x))]]
    for _ in range(k - 1):
        d2 = np.min(((x[:, None, :] - np.array(centres)[None]) ** 2).sum(-1), axis=1)
        total = d2.sum()
        p = d2 / total if total > 0 else np.full(len(x), 1 / len(x))
        centres.append(x[rng.choice(len(x), p=p)])
    c = np.array(centres)
    labels = np.zeros(len(x), dtype=np.int64)
    for _ in range(iters):
        labels = ((x[:, None, :] - c[None]) ** 2).sum(-1).argmin(1)
        new = np.array([x[labels == j].mean(0) if np.any(labels == j) else c[j] for j in range(k)])
        if np.allclose(new, c):
            break
        c = new
    return normalize_clusters(labels)


def spectral_clusters(weights: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """k clusters of a weighted graph: k-means on the row-normalised bottom-k eigenvectors of the
    symmetric normalised Laplacian of (W + W^T) / 2 (Ng-Jordan-Weiss)."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] != w.shape[1]:
        raise ValueError(f"weights must be a square matrix, got shape {w.shape}")
    w = (w + w.T) / 2
    np.fill_diagonal(w, 0.0)
    deg = w.sum(1)
    inv = np.where(deg > 0, 1 / np.sqrt(np.maximum(deg, 1e-300)), 0.0)
    lap = np.eye(len(w)) - inv[:, None] * w * inv[None, :]
    _, vecs = np.linalg.eigh(lap)
    emb = vecs[:, :k]
    emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    return kmeans(emb, k, seed=seed)


def make_clusters(
    k: int,
    weights: np.ndarray | None = None,
    coordinates: np.ndarray | None = None,
    seed: int = 0,
) -> np.ndarray:
    """k clusters from the road graph's weight matrix (spectral) or, if given instead, from sensor
    coordinates [n, 2] (k-means). A helper for users without the paper's assignment, not that assignment."""
    if (weights is None) == (coordinates is None):
        raise ValueError("make_clusters needs exactly one of weights (road graph) or coordinates")
    if weights is not None:
        return spectral_clusters(weights, k, seed=seed)
    return kmeans(np.asarray(coordinates, dtype=np.float64), k, seed=seed)
