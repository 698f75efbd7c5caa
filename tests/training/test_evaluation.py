"""Evaluation metrics against brute-force loops, against the model's own loss, and over a whole split."""

from __future__ import annotations

import math

import pytest
import torch
from accelerate import Accelerator

from asen_fm import AsenConfig, AsenForMultiTask
from asen_fm.tasks import load_task
from asen_fm.training.data import task_tensors
from asen_fm.training.evaluation import eval_loader, evaluate, finish_metrics, metric_sums

TOKEN = {"head": "token", "problem_type": "single_label_classification", "loss": None}
SCALAR = {"head": "sequence", "problem_type": "regression", "loss": "l1"}
CLASSIFY = ("accuracy", "sequence_accuracy")


def load_task_tensors(name: str, **kwargs) -> object:
    return task_tensors(load_task(name, **kwargs))


def _per_example(sums: dict, name: str) -> list[float]:
    return (sums[f"{name}/sum"] / sums[f"{name}/count"]).tolist()


def test_token_classification_metrics_match_a_loop() -> None:
    torch.manual_seed(1)
    logits = torch.randn(5, 6, 3)
    labels = torch.randint(0, 3, (5, 6))
    labels[0, :] = logits[0].argmax(-1)  # one example entirely right
    labels[1, 2] = -100  # one ignored position
    got = metric_sums(logits, labels, TOKEN, CLASSIFY)
    all_right, counted = 0, 0
    for b in range(5):
        keep = [i for i in range(6) if labels[b, i] != -100]
        ce = [-torch.log_softmax(logits[b, i], -1)[labels[b, i]].item() for i in keep]
        right = [logits[b, i].argmax().item() == labels[b, i].item() for i in keep]
        all_right, counted = all_right + sum(right), counted + len(keep)
        assert got["loss"][b].item() == pytest.approx(sum(ce) / len(ce), rel=1e-5)
        assert _per_example(got, "accuracy")[b] == pytest.approx(sum(right) / len(right))
        assert _per_example(got, "sequence_accuracy")[b] == float(all(right))
    assert _per_example(got, "sequence_accuracy")[0] == 1.0
    totals = {key: float(value.sum()) for key, value in got.items()}
    split = finish_metrics(totals, 5, CLASSIFY)
    assert split["accuracy"] == pytest.approx(all_right / counted)  # a ratio over all counted labels


def test_sequence_classification_is_one_label_per_example() -> None:
    logits = torch.tensor([[2.0, -1.0], [0.0, 3.0], [1.0, 0.5]])
    labels = torch.tensor([0, 0, 1])
    entry = {"head": "sequence", "problem_type": "single_label_classification"}
    got = metric_sums(logits, labels, entry, CLASSIFY)
    assert _per_example(got, "accuracy") == _per_example(got, "sequence_accuracy") == [1.0, 0.0, 0.0]
    expected = torch.nn.functional.cross_entropy(logits, labels, reduction="none")
    assert torch.allclose(got["loss"].float(), expected)


def test_regression_metrics_match_a_loop() -> None:
    predictions = torch.tensor([[0.5], [2.0], [-1.0]])
    labels = torch.tensor([1.0, 2.0, 1.0])
    got = metric_sums(predictions, labels, SCALAR, ("mae", "mse", "rmse"))
    assert _per_example(got, "mae") == pytest.approx([0.5, 0.0, 2.0])
    assert _per_example(got, "mse") == pytest.approx([0.25, 0.0, 4.0])
    assert got["loss"].tolist() == pytest.approx([0.5, 0.0, 2.0])
    split = finish_metrics({key: float(value.sum()) for key, value in got.items()}, 3, ("mae", "rmse"))
    assert split["rmse"] == pytest.approx(math.sqrt(4.25 / 3))
    mse = metric_sums(predictions, labels, {**SCALAR, "loss": "mse"}, ("mse",))
    assert mse["loss"].tolist() == pytest.approx(_per_example(mse, "mse"))


def test_vector_targets_and_multi_label() -> None:
    points = torch.randn(2, 4, 3)
    entry = {"head": "node_regression", "problem_type": "regression", "loss": "mse"}
    got = metric_sums(points + 1.0, points, entry, ("mae", "mpjpe", "p_mpjpe"))
    assert _per_example(got, "mae") == pytest.approx([1.0, 1.0])
    assert _per_example(got, "mpjpe") == pytest.approx([math.sqrt(3)] * 2)
    assert _per_example(got, "p_mpjpe") == pytest.approx([0.0, 0.0], abs=1e-6)  # a translation
    multi = {"head": "sequence", "problem_type": "multi_label_classification"}
    logits, labels = torch.tensor([[2.0, -1.0, 0.5]]), torch.tensor([[1, 0, 0]])
    got = metric_sums(logits, labels, multi, CLASSIFY)
    assert _per_example(got, "accuracy") == pytest.approx([2 / 3]) and _per_example(
        got, "sequence_accuracy"
    ) == [0.0]


def test_shape_and_problem_errors_are_named() -> None:
    with pytest.raises(ValueError, match="do not fit labels"):
        metric_sums(torch.zeros(2, 4, 2), torch.zeros(2, 5, dtype=torch.long), TOKEN, CLASSIFY)
    with pytest.raises(ValueError, match="do not fit labels"):
        metric_sums(torch.zeros(2, 3), torch.zeros(2), SCALAR, ("mae",))
    with pytest.raises(ValueError, match="unknown problem_type"):
        metric_sums(torch.zeros(2, 3), torch.zeros(2, 3), {"problem_type": "ranking"}, ())


def _model_for(tasks: dict) -> AsenForMultiTask:
    torch.manual_seed(0)
    config = AsenConfig(
        vocab_size=52, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32
    )
    model = AsenForMultiTask(config)
    for name, task in tasks.items():
        task.attach_to(model, name)
    return model.eval()


def test_evaluate_scores_every_row_once_and_agrees_with_the_model_loss() -> None:
    tasks = {
        "intersect": load_task_tensors("intersect", n=10, size=230, seed=0),
        "detect_capital": load_task_tensors("detect_capital", n=8, size=230, seed=0),
    }
    model = _model_for(tasks)
    accelerator = Accelerator(cpu=True)
    for name, task in tasks.items():
        rows = task.size("validation")
        assert rows % 16 != 0  # a ragged last batch is part of the test
        loader = accelerator.prepare(eval_loader(task, "validation", batch_size=16))
        metrics = evaluate(accelerator, model, name, loader, task.task.metrics)
        assert set(metrics) == {"loss", *task.task.metrics}
        with torch.no_grad():
            batch = task.splits["validation"]
            full = model(input_ids=batch["input_ids"], task=name, labels=batch["labels"])
            sums = metric_sums(full.logits, batch["labels"], model.config.tasks[name], task.task.metrics)
        reference = finish_metrics({k: float(v.sum()) for k, v in sums.items()}, rows, task.task.metrics)
        assert metrics["loss"] == pytest.approx(full.loss.item(), rel=1e-5)
        for key, value in reference.items():
            assert metrics[key] == pytest.approx(value, rel=1e-5), key
        assert all(math.isfinite(v) for v in metrics.values())


def test_evaluation_does_not_move_the_training_random_stream() -> None:
    task = load_task_tensors("intersect", n=10, size=100, seed=0)
    model = _model_for({"intersect": task}).train()
    accelerator = Accelerator(cpu=True)
    loader = accelerator.prepare(eval_loader(task, "validation", batch_size=8))
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    evaluate(accelerator, model, "intersect", loader)
    assert torch.equal(torch.rand(3), expected)
    assert model.training  # restored after evaluation


def test_regression_heads_start_at_the_mean_training_target() -> None:
    sizes = dict(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    model = AsenForMultiTask(AsenConfig(vocab_size=52, **sizes))
    regression = load_task_tensors("intersect_size", n=8, size=200, seed=0)
    classification = load_task_tensors("intersect", n=10, size=200, seed=0)
    regression.attach_to(model, "size")
    classification.attach_to(model, "tokens")
    target = regression.splits["train"]["labels"].double().mean()
    assert model.heads["size"].out.bias.item() == pytest.approx(target.item(), rel=1e-6)
    assert target.item() > 0.5  # the test means something: a fresh bias would be near 0
    assert torch.count_nonzero(model.heads["tokens"].out.bias) == 0  # classification: ordinary init
