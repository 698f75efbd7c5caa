"""Human pose lifting (2-D joints -> 3-D joints) on the 16-joint Human3.6M skeleton (paper's Tab. 1)."""

from asen_fm.domains.pose.card import pose_task
from asen_fm.domains.pose.frameworks import cell_colouring, cell_entry, cell_order
from asen_fm.domains.pose.h36m import build_h36m
from asen_fm.domains.pose.skeleton import EDGES, GROUPS, edge_stabilizer, preserves_edges
from asen_fm.domains.pose.synthetic import build_synthetic_pose

__all__ = [
    "EDGES",
    "GROUPS",
    "build_h36m",
    "build_synthetic_pose",
    "cell_colouring",
    "cell_entry",
    "cell_order",
    "edge_stabilizer",
    "pose_task",
    "preserves_edges",
]
