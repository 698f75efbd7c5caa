"""DESIGN invariant: a checkpoint's config.json alone rebuilds every coloring it was trained with."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from asen_fm import AsenConfig, AsenForMultiTask
from asen_fm.orbit_coloring import coloring_from_json
from asen_fm.symmetry import PermGroup, node_orbits, pair_orbits

SPECS = {"intersect": "swap_halves(10)", "palindrome": "reversal(10)", "rotations": "cyclic(10)"}


def test_config_json_alone_rebuilds_the_colorings_the_model_uses(tmp_path: Path) -> None:
    config = AsenConfig(
        vocab_size=8, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32
    )
    model = AsenForMultiTask(config)
    for name, spec in SPECS.items():
        model.add_task(name, spec, head="token", num_labels=2)
    model.save_pretrained(tmp_path)

    stored = json.loads((tmp_path / "config.json").read_text())["symmetries"]
    assert set(stored) == set(SPECS)
    for name, spec in SPECS.items():
        node_ids, pair_ids = coloring_from_json(stored[name])  # numpy only, from the JSON text
        group = PermGroup.parse(spec)
        np.testing.assert_array_equal(node_ids, node_orbits(group))
        np.testing.assert_array_equal(pair_ids, pair_orbits(group))
        embedder = model.asen.symmetry_embedders[name]
        np.testing.assert_array_equal(embedder.node_ids.numpy(), node_ids)
        np.testing.assert_array_equal(embedder.pair_ids.numpy(), pair_ids)
    # The three groups really differ, so a mix-up between names would be caught above.
    assert len({pair_orbits(PermGroup.parse(s)).max() for s in SPECS.values()}) == 3
