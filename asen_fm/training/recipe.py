"""Pretraining recipes: a JSON file naming the corpus (``asen data build`` commands) and the run's flags.

    {
      "description": "...",
      "data": {"pose": ["pose-synthetic", "--seed", "0"], "digits": ["digits"], ...},
      "flags": {"max_steps": 3000, "hidden_size": 64, "adapters": "pose=joints2d; digits=pixels", ...}
    }

``pretrain.py --recipe FILE`` builds every ``data`` entry that is not there yet into ``--data_dir``
(default ``data/<recipe name>``; each entry is the argument list of ``asen data build`` without ``--out``),
sets ``--tasks`` to those folders, and takes the recipe's flags as defaults: flags on the command line win,
so one recipe scales up on a GPU through its size flags (``--hidden_size``, ``--num_layers``,
``--max_steps``, ``--batch_size``). Folders are built in a temporary sibling and renamed when complete.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

RECIPE_KEYS = ("description", "data", "flags")


class RecipeError(ValueError):
    """A recipe file that cannot be used (missing, not JSON, unknown keys, a failed data build)."""


def read_recipe(path: str | Path) -> dict[str, Any]:
    """The recipe at ``path``, checked: ``data`` maps names to argument lists, ``flags`` is a flat dict."""
    file = Path(path)
    if not file.is_file():
        raise RecipeError(f"--recipe {path}: no such file")
    try:
        recipe = json.loads(file.read_text())
    except json.JSONDecodeError as err:
        raise RecipeError(f"--recipe {path}: not JSON ({err})") from None
    if not isinstance(recipe, dict) or set(recipe) - set(RECIPE_KEYS):
        raise RecipeError(f"--recipe {path}: expected a JSON object with keys among {RECIPE_KEYS}")
    data, flags = recipe.get("data", {}), recipe.get("flags", {})
    if not isinstance(data, dict) or not all(
        isinstance(v, list) and v and all(isinstance(a, str) for a in v) for v in data.values()
    ):
        raise RecipeError(f"--recipe {path}: 'data' maps task names to `asen data build` argument lists")
    if not isinstance(flags, dict) or any(isinstance(v, (dict, list)) for v in flags.values()):
        raise RecipeError(f"--recipe {path}: 'flags' maps flag names to plain values")
    if data and "tasks" in flags:
        raise RecipeError(f"--recipe {path}: give the corpus as 'data' or as the 'tasks' flag, not both")
    return {"description": recipe.get("description", ""), "data": data, "flags": flags}


def flag_arguments(flags: dict[str, Any]) -> list[str]:
    """``{"max_steps": 10, "standardize_features": true}`` -> the command-line arguments that say so."""
    arguments = []
    for key, value in flags.items():
        arguments += [f"--{key}", str(value).lower() if isinstance(value, bool) else str(value)]
    return arguments


def split_recipe_flag(argv: list[str]) -> tuple[str | None, str | None, list[str]]:
    """(recipe path, data dir, the other arguments) of a command line with ``--recipe`` / ``--data_dir``."""
    rest, recipe, data_dir = [], None, None
    items = iter(argv)
    for item in items:
        name, sep, value = item.partition("=")
        if name in ("--recipe", "--data_dir"):
            value = value if sep else next(items, None)
            if value is None:
                raise RecipeError(f"{name} needs a value")
            if name == "--recipe":
                recipe = value
            else:
                data_dir = value
        else:
            rest.append(item)
    return recipe, data_dir, rest


def build_corpus(corpus: dict[str, tuple[list[str], Path]], log=print) -> None:
    """Build every missing task folder of ``corpus`` (name -> (``asen data build`` arguments, folder)).

    Each is written to a per-process temporary sibling and renamed when complete, so an interrupted build
    leaves nothing half-written and two processes of one launch never write the same folder.
    """
    for name, (arguments, folder) in corpus.items():
        if (folder / "task_card.json").is_file():
            continue
        partial = folder.parent / f".{name}.{os.getpid()}.partial"
        if partial.exists():
            shutil.rmtree(partial)
        partial.parent.mkdir(parents=True, exist_ok=True)
        log(f"building {name}: asen data build {' '.join(arguments)}")
        command = [sys.executable, "-m", "asen_fm.cli", "data", "build", *arguments, "--out", str(partial)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            shutil.rmtree(partial, ignore_errors=True)
            reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise RecipeError(f"building {name} failed: {reason}")
        try:
            partial.rename(folder)
        except OSError:  # another process of the launch finished it first
            shutil.rmtree(partial, ignore_errors=True)


def expand_recipe(argv: list[str]) -> tuple[list[str], dict[str, tuple[list[str], Path]]]:
    """(``argv`` with its ``--recipe`` replaced by the recipe's flags, command-line flags winning by coming
    later, and ``--tasks`` naming the recipe's task folders; the corpus to ``build_corpus`` first)."""
    recipe_path, data_dir, rest = split_recipe_flag(argv)
    if recipe_path is None:
        if data_dir is not None:
            raise RecipeError("--data_dir goes with --recipe")
        return rest, {}
    recipe = read_recipe(recipe_path)
    expanded = flag_arguments(recipe["flags"])
    corpus: dict[str, tuple[list[str], Path]] = {}
    if recipe["data"]:
        root = Path(data_dir or Path("data") / Path(recipe_path).stem)
        corpus = {name: (arguments, root / name) for name, arguments in recipe["data"].items()}
        expanded += ["--tasks", ",".join(f"{name}={folder}" for name, (_, folder) in corpus.items())]
    return [*expanded, *rest], corpus
