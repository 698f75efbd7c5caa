"""Training code shared by ``pretrain/pretrain.py`` and ``finetune/finetune.py``, one job per module:

  data        tasks named on the command line, their splits as tensors, the multi-task sampler
  optim       AdamW over named parameter groups, freezing, warmup + cosine
  loop        the Accelerator, the training loop (evaluation, checkpoints, resume), the run's history
  evaluation  per-task loss and card metrics gathered over processes (``asen_fm.metrics``)
  outputs     crash-safe checkpoints and model folder, metrics JSON, curves PNG, code version
  scripts     the scripts' flags (HfArgumentParser) and the checks that run before any heavy work

Import from the modules themselves (``from asen_fm.training.loop import run_training``).
"""
