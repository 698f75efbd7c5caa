"""Sharing: a saved folder and a (fake, offline) Hub repo load by trust_remote_code where asen_fm is absent.

Both loads run in one fresh interpreter (``python -S``, PYTHONPATH = links to site-packages minus asen_fm,
cwd in a temporary folder), so ``import asen_fm`` fails there and every class comes from the shipped files.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import sysconfig
import uuid
from pathlib import Path

import pytest
import torch
from huggingface_hub import CommitInfo, HfApi, RepoUrl
from tiny_models import tiny_config

from asen_fm import AsenForMultiTask, AsenForTokenClassification

SCRIPT = Path(__file__).with_name("fresh_process_load.py")
RING = [[i, (i + 1) % 8] for i in range(8)]
SYMMETRIES = {
    "intersect": "swap_halves(6)",
    "shift": "cyclic(8)",
    "ring": {"group": "dihedral(8)", "edges": RING, "framework": "sparse"},
    "torus": "grid(3, 3, torus)",  # stored as its spec alone: the shipped group_specs.py builds its colorings
    "raw": {"n": 6, "generators": [[1, 2, 0, 3, 4, 5], [0, 1, 2, 4, 5, 3]]},  # stored compactly (base64)
}
TASKS = {
    "intersect": {"head": "token", "num_labels": 2},
    "shift": {"head": "sequence", "num_labels": 3},
    "ring": {"head": "token", "num_labels": 2},
    "torus": {"head": "token", "num_labels": 2},
    "raw": {"head": "sequence", "num_labels": 2},
}
INPUTS = {
    "intersect": torch.randint(0, 5, (3, 6)),
    "shift": torch.randint(0, 5, (3, 8)),
    "ring": torch.randint(0, 5, (3, 8)),
    "torus": torch.randint(0, 5, (3, 9)),
    "raw": torch.randint(0, 5, (3, 6)),
}
REPO_ID = "asen-tests/tiny-multitask"


class FakeHub:
    """Stands in for the Hub: create_commit writes files into the hub cache layout (blobs/refs/snapshots)."""

    def __init__(self, cache: Path):
        self.cache = cache
        self.commits: list[str] = []

    def create_repo(self, repo_id: str, **kwargs) -> RepoUrl:
        return RepoUrl(f"https://huggingface.co/{repo_id}")

    def create_commit(self, repo_id: str, operations, commit_message: str = "", **kwargs) -> CommitInfo:
        repo = self.cache / f"models--{repo_id.replace('/', '--')}"
        commit = uuid.uuid4().hex + "00000000"
        snapshot = repo / "snapshots" / commit
        for op in operations:
            source = op.path_or_fileobj
            data = Path(source).read_bytes() if isinstance(source, (str, Path)) else bytes(source)
            blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
            blob.parent.mkdir(parents=True, exist_ok=True)
            blob.write_bytes(data)
            target = snapshot / op.path_in_repo
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(os.path.relpath(blob, target.parent))
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / "main").write_text(commit)
        self.commits.append(commit)
        url = f"https://huggingface.co/{repo_id}/commit/{commit}"
        return CommitInfo(commit_url=url, commit_message=commit_message, commit_description="", oid=commit)


def _site_without_asen_fm(folder: Path) -> str:
    """A PYTHONPATH folder linking every site-packages entry except asen_fm (installed editable or not)."""
    folder.mkdir()
    for site in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}:
        for entry in Path(site).iterdir():
            lowered = entry.name.lower()
            if lowered.startswith(("asen_fm", "asen-fm", "__editable__")) or entry.suffix == ".pth":
                continue
            if not (folder / entry.name).exists():
                (folder / entry.name).symlink_to(entry)
    return str(folder)


def _logits(model: torch.nn.Module, selector: str) -> dict[str, torch.Tensor]:
    model.eval()
    with torch.no_grad():
        return {name: model(input_ids=ids, **{selector: name}).logits for name, ids in INPUTS.items()}


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> dict:
    """Save one model to a folder, push another to a fake Hub, then load both in one fresh process."""
    root = tmp_path_factory.mktemp("hub")
    torch.manual_seed(0)
    token_model = AsenForTokenClassification(tiny_config(SYMMETRIES, initializer_range=0.3))
    token_model.save_pretrained(root / "ckpt")
    multitask = AsenForMultiTask(tiny_config(SYMMETRIES, tasks=TASKS, initializer_range=0.3))
    hub = FakeHub(root / "hub_cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(HfApi, "create_repo", lambda self, repo_id, **kw: hub.create_repo(repo_id, **kw))
        patch.setattr(
            HfApi,
            "create_commit",
            lambda self, repo_id, operations, **kw: hub.create_commit(repo_id, operations, **kw),
        )
        info = multitask.push_to_hub(REPO_ID)
    jobs = [
        {"source": str(root / "ckpt"), "class": "AutoModelForTokenClassification", "inputs": INPUTS},
        {"source": REPO_ID, "class": "AsenForMultiTask", "inputs": INPUTS},
    ]
    torch.save(jobs, root / "jobs.pt")
    work = root / "fresh"
    work.mkdir()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": _site_without_asen_fm(root / "site"),
        "HF_HOME": str(root / "hf_home"),
        "HF_HUB_CACHE": str(root / "hub_cache"),
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
        "TRANSFORMERS_VERBOSITY": "error",
    }
    run = subprocess.run(
        [sys.executable, "-S", str(SCRIPT), str(root / "jobs.pt"), str(root / "results.pt")],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return {
        "root": root,
        "info": info,
        "hub": hub,
        "results": torch.load(root / "results.pt"),
        "expected": [_logits(token_model, "symmetry"), _logits(multitask, "task")],
    }


def _check_job(result: dict, expected: dict[str, torch.Tensor]) -> None:
    assert result["module"].startswith("transformers_modules")
    for name, logits in expected.items():
        assert torch.equal(result[name], logits), name
    assert "needs the asen_fm package" in result["spec_error"]
    assert result["late_orbits"] == 4
    assert result["late_spec_orbits"] == 9


def test_fresh_process_cannot_import_asen_fm(shared) -> None:
    assert "No module named 'asen_fm'" in shared["results"]["asen_fm_import_error"]


def test_saved_folder_ships_code_and_card_and_loads_by_remote_code(shared) -> None:
    files = {p.name for p in (shared["root"] / "ckpt").iterdir()}
    assert {
        "config.json",
        "model.safetensors",
        "modeling_asen.py",
        "configuration_asen.py",
        "orbit_coloring.py",
        "group_specs.py",
        "README.md",
    } <= files
    stored = json.loads((shared["root"] / "ckpt" / "config.json").read_text())["symmetries"]
    assert stored["torus"] == {"n": 9, "spec": "grid(3, 3, torus)"}
    assert set(stored["raw"]) == {"n", "generators"} and set(stored["raw"]["generators"]) == {
        "dtype",
        "base64",
    }
    _check_job(shared["results"]["jobs"][0], shared["expected"][0])


def test_push_to_fake_hub_then_offline_load_of_the_multitask_class(shared) -> None:
    assert shared["info"].oid == shared["hub"].commits[-1]
    snapshot = shared["root"] / "hub_cache" / f"models--{REPO_ID.replace('/', '--')}" / "snapshots"
    readme = (snapshot / shared["info"].oid / "README.md").read_text()
    assert "## Symmetries" in readme and "`cyclic(8)`" in readme
    _check_job(shared["results"]["jobs"][1], shared["expected"][1])


@pytest.mark.parametrize("cls", ["AutoModel", "AutoConfig"])
def test_in_process_auto_classes_resolve_without_remote_code(tmp_path: Path, cls: str) -> None:
    import transformers

    from asen_fm import AsenConfig, AsenModel

    AsenForTokenClassification(tiny_config(SYMMETRIES)).save_pretrained(tmp_path)
    loaded = getattr(transformers, cls).from_pretrained(tmp_path)
    assert isinstance(loaded, AsenModel if cls == "AutoModel" else AsenConfig)
