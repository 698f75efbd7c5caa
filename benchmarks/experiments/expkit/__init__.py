"""Shared pieces of the paper-reproduction experiments (one job per module).

paths     the repository, configs, default runs and results folders
settings  experiment configs (``configs/*.json``: shared model/optimizer + per-experiment smoke/full)
runner    one training run = ``pretrain/pretrain.py`` or ``finetune/finetune.py`` called in-process
stats     metrics out of a run's ``metrics.json``; mean and spread over seeds
plots     PNG figures (Agg backend)
report    the experiment's ``results.json`` read by ``benchmarks/build_results.py``
"""
