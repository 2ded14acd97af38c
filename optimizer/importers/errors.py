"""The error every importer raises for a file it cannot read: it names the file, the line and why."""

from __future__ import annotations

from pathlib import Path

from optimizer.domain.instance import FieldIssue, InstanceError


class ImportFormatError(InstanceError):
    """A public benchmark file that does not follow its format (reported like an instance error,
    with `file:line` as the path, so the CLI prints it the same way and exits 2)."""

    def __init__(self, path: str | Path, line: int | None, reason: str) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__([FieldIssue(path=where, reason=reason)])
