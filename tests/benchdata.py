"""Where the public benchmark sets live (`../shared/benchmarks` next to the repository, or
$WFM_BENCHMARKS_DIR), and a skip marker for tests that need them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def benchmarks_dir() -> Path:
    configured = os.environ.get("WFM_BENCHMARKS_DIR")
    return Path(configured) if configured else REPO.parent / "shared" / "benchmarks"


def requires_set(name: str) -> pytest.MarkDecorator:
    folder = benchmarks_dir() / name
    return pytest.mark.skipif(not folder.is_dir(),
                              reason=f"public benchmark set '{name}' not found at {folder} "
                                     "(set WFM_BENCHMARKS_DIR to the folder holding it)")
