"""Sharing checkpoints: the model card in every saved folder and Hub uploads that keep it.

``install()`` (run by ``import asen_fm``) hooks both into the model classes, so ``model.save_pretrained``
writes the ASEN card and ``model.push_to_hub`` uploads it; the model file itself imports nothing from the
package, and a checkpoint loaded by ``trust_remote_code`` alone saves without a card.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from asen_fm.model_card import write_model_card
from asen_fm.modeling_asen import AsenPreTrainedModel


def push_to_hub(
    model: AsenPreTrainedModel,
    repo_id: str,
    commit_message: str | None = None,
    commit_description: str | None = None,
    private: bool | None = None,
    token: bool | str | None = None,
    revision: str | None = None,
    create_pr: bool = False,
    max_shard_size: int | str | None = "50GB",
    tags: list[str] | None = None,
) -> Any:
    """Upload ``save_pretrained``'s folder (weights, config, code, ASEN model card) to the Hub.

    Same arguments as ``PreTrainedModel.push_to_hub``; unlike it, keeps the ASEN model card as README.md
    (``tags`` are accepted for signature compatibility; the card carries its own tags).
    """
    from huggingface_hub import CommitOperationAdd, HfApi

    api = HfApi(token=token)
    repo_id = api.create_repo(repo_id, private=private, exist_ok=True).repo_id
    with tempfile.TemporaryDirectory() as folder:
        model.save_pretrained(folder, max_shard_size=max_shard_size)
        root = Path(folder)
        operations = [
            CommitOperationAdd(path_in_repo=path.relative_to(root).as_posix(), path_or_fileobj=str(path))
            for path in sorted(root.rglob("*"))
            if path.is_file()
        ]
        return api.create_commit(
            repo_id=repo_id,
            operations=operations,
            commit_message=commit_message or f"Upload {type(model).__name__}",
            commit_description=commit_description,
            revision=revision,
            create_pr=create_pr,
        )


def install() -> None:
    """Hook the card writer and the card-keeping upload into every ASEN model class."""
    AsenPreTrainedModel.save_hook = staticmethod(write_model_card)
    AsenPreTrainedModel.push_hook = staticmethod(push_to_hub)


__all__ = ["install", "push_to_hub"]
