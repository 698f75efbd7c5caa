"""Traffic forecasting on a sensor graph (METR-LA / PEMS-BAY and a synthetic stand-in; paper's Tab. 2)."""

from asen_fm.domains.traffic.clusters import cluster_group, make_clusters, read_clusters
from asen_fm.domains.traffic.metr_la import build_metr_la
from asen_fm.domains.traffic.synthetic import build_synthetic_traffic

__all__ = ["build_metr_la", "build_synthetic_traffic", "cluster_group", "make_clusters", "read_clusters"]
