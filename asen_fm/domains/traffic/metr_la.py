"""METR-LA / PEMS-BAY as DCRNN distributes them -> forecasting DatasetDict + card.

Files in ``source`` (DCRNN layout):

- ``metr-la.h5`` (or ``pems-bay.h5``, any single ``*.h5``): a pandas HDF5 store holding a DataFrame
  [T, N] of speeds (mph) with a DatetimeIndex at 5-minute steps, under key ``df`` (METR-LA) or
  ``speed`` (PEMS-BAY; any single key is accepted); zeros are missing readings;
- ``adj_mx.pkl`` (or ``adj_mx_bay.pkl``, any single ``adj_mx*.pkl``): a Python 2 pickle of
  ``(sensor_ids, sensor_id_to_ind, adj_mx)``, read with ``encoding="latin1"``;
- optionally ``graph_sensor_locations.csv`` (``index,sensor_id,latitude,longitude`` with a header, or
  headerless ``sensor_id,latitude,longitude`` as PEMS-BAY's): coordinates for ``make_clusters``.

Reading ``.h5`` needs pandas and PyTables: ``pip install "asen-fm[traffic]"``.
"""

from __future__ import annotations

import csv
import pickle
from pathlib import Path
from typing import Any

import datasets
import numpy as np

from asen_fm.domains.traffic.windows import build_forecasting
from asen_fm.symmetry import PermGroup

__all__ = ["TrafficFiles", "build_metr_la", "find_files", "read_adjacency", "read_locations", "read_speeds"]


class TrafficFiles:
    """Paths of one DCRNN-layout dataset folder (``locations`` may be None)."""

    def __init__(self, speeds: Path, adjacency: Path, locations: Path | None) -> None:
        self.speeds, self.adjacency, self.locations = speeds, adjacency, locations


def _single(folder: Path, pattern: str, what: str, preferred: tuple[str, ...]) -> Path:
    for name in preferred:
        if (folder / name).is_file():
            return folder / name
    found = sorted(folder.glob(pattern))
    if len(found) != 1:
        names = ", ".join(p.name for p in found) or "none"
        raise ValueError(f"{folder}: expected one {what} ({pattern}), found {names}")
    return found[0]


def find_files(source: str | Path) -> TrafficFiles:
    """Locate the speed store, the adjacency pickle and (optional) the sensor locations in ``source``."""
    folder = Path(source)
    if not folder.is_dir():
        raise ValueError(f"traffic source folder {folder} does not exist")
    speeds = _single(folder, "*.h5", "speed store", ("metr-la.h5", "pems-bay.h5"))
    adjacency = _single(folder, "adj_mx*.pkl", "adjacency pickle", ("adj_mx.pkl", "adj_mx_bay.pkl"))
    locations = sorted(folder.glob("graph_sensor_locations*.csv"))
    return TrafficFiles(speeds, adjacency, locations[0] if locations else None)


def read_speeds(path: str | Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(speeds float64 [T, N], timestamps datetime64[ns] [T], sensor ids as str) from a DCRNN .h5 store."""
    try:
        import pandas as pd
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            'reading .h5 speed stores needs pandas and tables: pip install "asen-fm[traffic]"'
        ) from err
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"speed store {path} does not exist")
    with pd.HDFStore(path, mode="r") as store:
        keys = [k.lstrip("/") for k in store.keys()]
        key = "df" if "df" in keys else keys[0] if len(keys) == 1 else None
        if key is None:
            raise ValueError(f"{path}: expected key 'df' or a single key, found {keys}")
        df = store[key]
    if not isinstance(df, pd.DataFrame) or not isinstance(df.index, pd.DatetimeIndex):
        raise ValueError(f"{path}: expected a DataFrame with a DatetimeIndex under key {key!r}")
    return df.to_numpy(dtype=np.float64), df.index.to_numpy(), [str(c) for c in df.columns]


def read_adjacency(path: str | Path) -> tuple[list[str], dict[str, int], np.ndarray]:
    """(sensor_ids, sensor_id_to_ind, adj float32 [N, N]) from DCRNN's Python 2 pickle (latin1)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"adjacency pickle {path} does not exist")
    with path.open("rb") as f:
        try:
            obj = pickle.load(f, encoding="latin1")
        except Exception as err:
            raise ValueError(f"{path}: not a readable pickle ({err})") from err
    if not isinstance(obj, (tuple, list)) or len(obj) != 3:
        raise ValueError(f"{path}: expected a pickled (sensor_ids, sensor_id_to_ind, adj_mx) triple")
    ids_raw, index_raw, adj = obj
    ids = [_text(s) for s in ids_raw]
    index = {_text(k): int(v) for k, v in dict(index_raw).items()}
    adj = np.asarray(adj, dtype=np.float32)
    if adj.shape != (len(ids), len(ids)):
        raise ValueError(f"{path}: adjacency has shape {adj.shape} but there are {len(ids)} sensor ids")
    return ids, index, adj


def _text(value: Any) -> str:
    return value.decode("latin1") if isinstance(value, bytes) else str(value)


def read_locations(path: str | Path, sensor_ids: list[str]) -> np.ndarray:
    """Coordinates float64 [N, 2] (latitude, longitude) in ``sensor_ids`` order; NaN where absent."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"sensor locations file {path} does not exist")
    coords: dict[str, tuple[float, float]] = {}
    with path.open(newline="") as f:
        for row in csv.reader(f):
            if len(row) < 3:
                continue
            try:
                lat, lon = float(row[-2]), float(row[-1])
            except ValueError:
                continue  # header
            coords[row[-3].strip()] = (lat, lon)
    out = np.full((len(sensor_ids), 2), np.nan)
    for i, sid in enumerate(sensor_ids):
        if sid in coords:
            out[i] = coords[sid]
    return out


def _time_of_day(stamps: np.ndarray) -> np.ndarray:
    stamps = stamps.astype("datetime64[ns]")
    day = stamps.astype("datetime64[D]")
    return ((stamps - day) / np.timedelta64(1, "D")).astype(np.float64)


def build_metr_la(
    source: str | Path,
    *,
    group: PermGroup | None = None,
    framework: str = "full",
    stride: int = 1,
    max_examples: int | None = None,
) -> tuple[datasets.DatasetDict, dict[str, Any]]:
    """The DCRNN-layout folder ``source`` (METR-LA or PEMS-BAY) -> (DatasetDict, card); see
    :mod:`asen_fm.domains.traffic.windows` for the example layout, split and normalisation.

    The speed columns are put in the adjacency pickle's sensor order. ``group`` defaults to S_N;
    ``card["sensor_ids"]`` and (when the locations file exists) ``card["coordinates"]`` are included.
    """
    files = find_files(source)
    speeds, stamps, columns = read_speeds(files.speeds)
    ids, index, adj = read_adjacency(files.adjacency)
    if sorted(columns) != sorted(ids):
        extra = sorted(set(columns) - set(ids))[:5]
        absent = sorted(set(ids) - set(columns))[:5]
        raise ValueError(
            f"{files.speeds.name} and {files.adjacency.name} disagree on the sensors: "
            f"in the store only {extra}, in the pickle only {absent}"
        )
    # Row/column k of adj_mx is the sensor with sensor_id_to_ind[id] == k.
    pickle_order = sorted(ids, key=index.__getitem__) if set(index) == set(ids) else ids
    position = {sid: k for k, sid in enumerate(columns)}
    order = [position[sid] for sid in pickle_order]
    ordered_ids = list(pickle_order)
    speeds = speeds[:, order]
    extra_card: dict[str, Any] = {"sensor_ids": ordered_ids, "source_file": files.speeds.name}
    if files.locations is not None:
        coords = read_locations(files.locations, ordered_ids)
        extra_card["coordinates"] = [[float(a), float(b)] for a, b in coords]
    name = files.speeds.stem
    description = (
        f"{name}: {speeds.shape[1]} road sensors, speed every 5 minutes; predict the next step's speed from "
        "the last 3 steps (speed and time of day per sensor); masked MAE over observed targets."
    )
    return build_forecasting(
        speeds,
        _time_of_day(stamps),
        adj,
        group=group,
        framework=framework,
        stride=stride,
        max_examples=max_examples,
        description=description,
        extra=extra_card,
    )
