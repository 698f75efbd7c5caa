"""Named input adapters of an ASEN model: what each input kind is and how it reaches the shared backbone.

One backbone serves tasks whose inputs differ in kind and width (token sequences, 2-D joints, sensor
readings, pixel intensities). Each task feeds one named adapter, as it names one head and one symmetry:

    {"kind": "tokens", "vocab_size": 64}                       # input_ids [B, n] -> embedding table
    {"kind": "features", "width": 2}                           # node_features [B, n, 2] -> linear map
    {"kind": "features", "width": 2, "mean": [..], "std": [..]}  # standardised first: (x - mean) / std

The normalisation constants are stored with the adapter (config.json), so a finetuned or reloaded model
standardises its inputs exactly as in training. Checkpoints written before adapters existed hold one
``vocab_size`` and one ``input_dim``: they load as the adapters ``tokens`` and ``features``
(``legacy_adapters``), with their weights renamed by ``LEGACY_WEIGHT_NAMES``.

This file is shipped next to the weights for ``trust_remote_code`` loading: standard library only.
"""

from __future__ import annotations

import math
import re
from typing import Any

ADAPTER_KINDS = ("tokens", "features")
ADAPTER_NAME = re.compile(r"^[A-Za-z0-9_\-]+$")
# The default adapters a one-vocabulary / one-input_dim config maps onto.
TOKENS, FEATURES = "tokens", "features"
# Weight names of checkpoints written before adapters existed -> their names now (regex, for key_mapping).
LEGACY_WEIGHT_NAMES = {
    r"token_embeddings\.weight": "input_adapters.tokens.embedding.weight",
    r"input_projection\.(weight|bias)": r"input_adapters.features.projection.\1",
}


def adapter_error(name: str, message: str) -> ValueError:
    return ValueError(f"input adapter {name!r}: {message}")


def _positive_int(value: Any, name: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise adapter_error(name, f"{what} must be a positive int, got {value!r}")
    return value


def _float_list(value: Any, name: str, what: str, width: int, positive: bool) -> list[float]:
    if not isinstance(value, (list, tuple)) or len(value) != width:
        raise adapter_error(
            name, f"{what} must be a list of {width} numbers (one per feature), got {value!r}"
        )
    out = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (int, float)) or not math.isfinite(item):
            raise adapter_error(name, f"{what} holds {item!r}, not a finite number")
        if positive and not item > 0:
            raise adapter_error(name, f"{what} must be > 0 everywhere, got {item!r}")
        out.append(float(item))
    return out


def normalize_adapter(name: Any, spec: Any) -> dict[str, Any]:
    """A checked, JSON-plain copy of one adapter spec (see the module docstring)."""
    if not isinstance(name, str) or not ADAPTER_NAME.match(name):
        raise ValueError(
            f"input adapter name {name!r} must be a non-empty string of letters, digits, '_' or '-'"
        )
    if not isinstance(spec, dict):
        raise adapter_error(name, f"expected a dict with a 'kind', got {type(spec).__name__}")
    kind = spec.get("kind")
    if kind not in ADAPTER_KINDS:
        raise adapter_error(name, f"kind must be one of {ADAPTER_KINDS}, got {kind!r}")
    allowed = {"kind", "vocab_size"} if kind == "tokens" else {"kind", "width", "mean", "std"}
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise adapter_error(name, f"unknown keys {unknown} for a {kind} adapter; allowed: {sorted(allowed)}")
    if kind == "tokens":
        return {"kind": kind, "vocab_size": _positive_int(spec.get("vocab_size"), name, "vocab_size")}
    width = _positive_int(spec.get("width"), name, "width")
    entry: dict[str, Any] = {"kind": kind, "width": width}
    if ("mean" in spec) != ("std" in spec):
        raise adapter_error(name, "a stored normalisation needs both mean and std")
    if "mean" in spec:
        entry["mean"] = _float_list(spec["mean"], name, "mean", width, positive=False)
        entry["std"] = _float_list(spec["std"], name, "std", width, positive=True)
    return entry


def legacy_adapters(vocab_size: int, input_dim: int) -> dict[str, dict[str, Any]]:
    """The adapters of a one-vocabulary / one-input_dim config: ``tokens`` and/or ``features``."""
    adapters: dict[str, dict[str, Any]] = {}
    if vocab_size > 0:
        adapters[TOKENS] = {"kind": "tokens", "vocab_size": int(vocab_size)}
    if input_dim > 0:
        adapters[FEATURES] = {"kind": "features", "width": int(input_dim)}
    return adapters


def describe(spec: dict[str, Any]) -> str:
    """``tokens (vocab 64)`` / ``features (width 2, standardised)``: for messages and model cards."""
    if spec["kind"] == "tokens":
        return f"tokens (vocab {spec['vocab_size']})"
    return f"features (width {spec['width']}{', standardised' if 'mean' in spec else ''})"


def input_kind(has_ids: bool, has_features: bool) -> str:
    """The adapter kind an input takes: ``tokens`` (input_ids) or ``features`` (node_features)."""
    return "features" if has_features and not has_ids else "tokens"


def check_input_fits(name: str, spec: dict[str, Any], kind: str, width: int = 0, vocab_size: int = 0) -> None:
    """ValueError when an input of ``kind`` (features of ``width``, ids below ``vocab_size``) cannot feed
    the adapter ``name``."""
    if kind != spec["kind"]:
        given = f"node_features of width {width}" if kind == "features" else "token ids (input_ids)"
        raise adapter_error(name, f"takes {describe(spec)}, not {given}")
    if kind == "features" and width != spec["width"]:
        raise adapter_error(name, f"takes features of width {spec['width']}, but the input has width {width}")
    if kind == "tokens" and vocab_size > spec["vocab_size"]:
        raise adapter_error(
            name, f"has a vocabulary of {spec['vocab_size']} token ids, but the input uses {vocab_size}"
        )


def unknown_adapter(name: str, adapters: dict[str, Any]) -> KeyError:
    """KeyError naming the adapters that exist."""
    known = ", ".join(f"{k}: {describe(v)}" for k, v in adapters.items()) or "none"
    return KeyError(f"unknown input adapter {name!r}; this model has {known}")
