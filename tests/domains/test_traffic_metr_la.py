"""The METR-LA / PEMS-BAY converter on tiny files in DCRNN's formats (pandas HDF5 store, Python 2 pickle).

The pickle is written the way Python 2's ``cPickle.dump(..., protocol=2)`` writes it: ``str`` values
(sensor ids, the dict's keys, the ndarray's raw buffer) as 8-bit BINSTRING opcodes and the array
rebuilt through ``numpy.core.multiarray._reconstruct``. Python 3 can read that only with an 8-bit
``encoding`` (DCRNN's files need ``encoding="latin1"``); the test checks that the default fails.
"""

from __future__ import annotations

import io
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("tables")

from asen_fm.domains.traffic.metr_la import build_metr_la, read_adjacency, read_speeds  # noqa: E402
from asen_fm.domains.traffic.windows import split_counts  # noqa: E402


class _Py2Pickler(pickle._Pickler):  # the pure-Python pickler: its dispatch table can be extended
    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj: bytes) -> None:
        n = len(obj)
        self.write(
            pickle.SHORT_BINSTRING + bytes([n]) + obj
            if n < 256
            else pickle.BINSTRING + struct.pack("<i", n) + obj
        )
        self.memoize(obj)

    def save_global(self, obj: object, name: str | None = None) -> None:
        if getattr(obj, "__name__", None) == "_reconstruct":  # Python 2 numpy's module path
            self.write(pickle.GLOBAL + b"numpy.core.multiarray\n_reconstruct\n")
            self.memoize(obj)
            return
        super().save_global(obj, name)

    dispatch[bytes] = save_py2_str
    dispatch[type] = save_global


def _py2_pickle(obj: object) -> bytes:
    buf = io.BytesIO()
    _Py2Pickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


SENSORS = ["773869", "767541", "767542", "717447", "717446"]


def _write_dcrnn_folder(
    folder: Path, steps: int = 200, h5_name: str = "metr-la.h5", key: str = "df"
) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    index = pd.date_range("2012-03-01 00:00:00", periods=steps, freq="5min")
    speeds = 60 + 5 * rng.standard_normal((steps, len(SENSORS)))
    speeds[rng.random(speeds.shape) < 0.1] = 0.0  # missing readings are zeros
    # The store's columns are in a different order from the pickle's sensor order.
    columns = [SENSORS[k] for k in (2, 0, 4, 1, 3)]
    df = pd.DataFrame(speeds, index=index, columns=columns)
    df.to_hdf(folder / h5_name, key=key)
    adj = np.eye(len(SENSORS), dtype=np.float32)
    adj[0, 1] = 0.7  # 773869 -> 767541
    adj[3, 4] = 0.2
    adj[4, 3] = 0.5  # 717446 -> 717447
    adj[2, 0] = 0.3
    ids = [s.encode() for s in SENSORS]
    (folder / "adj_mx.pkl").write_bytes(_py2_pickle((ids, {s: i for i, s in enumerate(ids)}, adj)))
    (folder / "graph_sensor_locations.csv").write_text(
        "index,sensor_id,latitude,longitude\n"
        + "".join(f"{i},{s},{34 + i / 100},{-118 - i / 100}\n" for i, s in enumerate(SENSORS))
    )
    return df


def test_the_pickle_is_python2_style(tmp_path: Path) -> None:
    _write_dcrnn_folder(tmp_path)
    raw = (tmp_path / "adj_mx.pkl").read_bytes()
    assert b"U\x06773869" in raw and b"numpy.core.multiarray\n_reconstruct" in raw  # 8-bit str opcodes
    with pytest.raises(UnicodeDecodeError):
        pickle.loads(raw)  # Python 3's default ASCII decoding fails on the array's raw bytes
    ids, index, adj = read_adjacency(tmp_path / "adj_mx.pkl")
    assert (
        ids == SENSORS
        and index["767542"] == 2
        and adj.dtype == np.float32
        and adj[0, 1] == pytest.approx(0.7)
    )


def test_read_speeds(tmp_path: Path) -> None:
    df = _write_dcrnn_folder(tmp_path)
    speeds, stamps, columns = read_speeds(tmp_path / "metr-la.h5")
    assert (
        speeds.shape == (200, 5)
        and columns == list(df.columns)
        and stamps[1] - stamps[0] == np.timedelta64(5, "m")
    )


def test_converter_windows_split_normalisation_and_mask(tmp_path: Path) -> None:
    df = _write_dcrnn_folder(tmp_path)
    ds, card = build_metr_la(tmp_path, framework="sparse")
    examples = 200 - 3  # windows ending at t = 2 .. 198, each with target t + 1
    counts = split_counts(examples)
    assert counts == {"train": 138, "validation": 20, "test": 39}
    assert {k: len(v) for k, v in ds.items()} == counts
    assert card["sensor_ids"] == SENSORS  # columns reordered to the pickle's order
    raw = df[SENSORS].to_numpy()
    mean, std = card["normalization"]["mean"], card["normalization"]["std"]
    train_part = raw[: counts["train"] + 3]  # steps read by the training examples (inputs and targets)
    assert mean == pytest.approx(train_part[train_part > 0].mean()) and std == pytest.approx(
        train_part[train_part > 0].std()
    )
    # Example k of the test split ends at t = 2 + 158 + k.
    k = 5
    t = 2 + counts["train"] + counts["validation"] + k
    row = ds["test"][k]
    x, y, m = np.array(row["node_features"]), np.array(row["labels"]), np.array(row["label_mask"])
    assert row["time_index"] == t and x.shape == (5, 6) and y.shape == (5, 1)
    expected_last = np.where(raw[t] > 0, (raw[t] - mean) / std, 0.0)
    assert np.allclose(x[:, 4], expected_last, atol=1e-5)
    assert np.allclose(x[:, 5], (t % 288) / 288)  # time of day of step t (5-minute steps from midnight)
    assert np.array_equal(m, raw[t + 1] > 0)
    assert np.allclose(y[m, 0], (raw[t + 1][m] - mean) / std, atol=1e-5) and np.all(y[~m] == 0)
    assert card["symmetry"]["group"] == "symmetric(5)" and card["symmetry"]["framework"] == "sparse"
    assert card["symmetry"]["edges"] == [[0, 1], [0, 2], [3, 4]]
    assert card["coordinates"][2] == [pytest.approx(34.02), pytest.approx(-118.02)]
    assert card["label_mask"] == "label_mask" and card["loss"] == "l1" and card["num_labels"] == 1


def test_pems_bay_layout_and_stride(tmp_path: Path) -> None:
    _write_dcrnn_folder(tmp_path, h5_name="pems-bay.h5", key="speed")
    (tmp_path / "adj_mx.pkl").rename(tmp_path / "adj_mx_bay.pkl")
    ds, card = build_metr_la(tmp_path, stride=2, max_examples=60)
    assert sum(len(v) for v in ds.values()) == 60 and card["source_file"] == "pems-bay.h5"
    assert ds["train"]["time_index"][:3] == [2, 4, 6]


def test_errors_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        build_metr_la(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="speed store"):
        build_metr_la(tmp_path)
    _write_dcrnn_folder(tmp_path)
    ids = [b"1", b"2", b"3", b"4", b"5"]
    (tmp_path / "adj_mx.pkl").write_bytes(_py2_pickle((ids, {s: i for i, s in enumerate(ids)}, np.eye(5))))
    with pytest.raises(ValueError, match="disagree on the sensors"):
        build_metr_la(tmp_path)
