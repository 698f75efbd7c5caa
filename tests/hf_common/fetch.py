"""transformers' own common model tests, fetched the way any dependency arrives: from its PyPI sdist.

The sdist of the installed transformers version carries ``tests/test_modeling_common.py`` and
``tests/test_configuration_common.py`` (not the wheel); they are extracted once into a cache folder as a
package ``hf_tests``. The sdist lacks three helper modules they import (``exporters/test_export.py``,
``generation/test_utils.py``, ``utils/test_configuration_utils.py``); small stand-ins are written for
those: an empty generation mixin (ASEN is not generative), the export tests of ``export_mixin.py`` and the
common config kwargs of transformers' own configuration tests. The stand-ins are rewritten whenever their
text here changes.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import transformers

FILES = ("test_modeling_common.py", "test_configuration_common.py")
STUBS = {
    "exporters/test_export.py": "from export_mixin import ExportTesterMixin  # noqa: F401\n",
    "generation/test_utils.py": "class GenerationTesterMixin:\n    pass\n",
    "utils/test_configuration_utils.py": (
        "config_common_kwargs = {\n"
        '    "return_dict": False,\n'
        '    "output_hidden_states": True,\n'
        '    "output_attentions": True,\n'
        '    "dtype": "float16",\n'
        '    "chunk_size_feed_forward": 5,\n'
        '    "architectures": ["BertModel"],\n'
        '    "id2label": {0: "label"},\n'
        '    "label2id": {"label": "0"},\n'
        '    "problem_type": "regression",\n'
        "}\n"
    ),
}


def cache_root() -> Path:
    base = os.environ.get("ASEN_HF_TESTS_CACHE") or Path.home() / ".cache" / "asen-fm"
    return Path(base) / f"transformers-{transformers.__version__}-tests"


def ensure_hf_tests() -> Path:
    """The folder holding the ``hf_tests`` package (downloaded and extracted on first use, under a lock so
    parallel test workers fetch it once)."""
    root = cache_root()
    package = root / "hf_tests"
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not all((package / name).exists() for name in FILES):
            _fetch(root, package)
        _write_stubs(package)
    return root


def _write_stubs(package: Path) -> None:
    """Write the stand-in modules whose text differs from ``STUBS`` (a cache made by an older checkout)."""
    for relative, text in STUBS.items():
        path = package / relative
        if path.exists() and path.read_text() == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / "__init__.py").touch()
        path.write_text(text)


def _fetch(root: Path, package: Path) -> None:
    version = transformers.__version__
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory(dir=root) as staging:
        command = [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps", "--quiet"]
        command += [f"transformers=={version}", "-d", tmp]
        subprocess.run(command, check=True, timeout=600)
        archive = next(Path(tmp).glob("transformers-*.tar.gz"))
        target = Path(staging) / "hf_tests"
        target.mkdir()
        with tarfile.open(archive) as tar:
            for name in FILES:
                member = tar.getmember(f"transformers-{version}/tests/{name}")
                (target / name).write_bytes(tar.extractfile(member).read())
        (target / "__init__.py").write_text("")
        _write_stubs(target)
        if package.exists():
            shutil.rmtree(package)
        os.replace(target, package)
