"""Files written whole or not at all: the one implementation every writer uses (landing pages
and snapshots, the published DuckDB file, the FOCUS export, the HTML report).

A file is written under a hidden temporary name in its target's folder (`.<name>.<random>.tmp`:
the dot keeps the landing loader and the new-file sensor from reading it half-written, and the
same folder makes the rename atomic), flushed to disk, then renamed over the target with
`os.replace`. A reader sees the old file or the new one, never part of one; a failed write
leaves the target as it was and no temporary file behind.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def temp_path(target: Path) -> Path:
    """A hidden, unused name beside `target` (the file itself is not created)."""
    return target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")


def commit(temp: Path, target: Path) -> None:
    """Flush `temp` to disk and rename it over `target` (atomic on POSIX)."""
    with open(temp, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(temp, target)


@contextmanager
def replacing(*targets: Path) -> Iterator[tuple[Path, ...]]:
    """One temporary path per target, for the block to write; when the block ends without an
    error each is committed over its target, in the order given. A temporary file the block
    removed itself (say, because its content equals the target's) leaves that target as it was.
    On an error nothing is replaced. Either way no temporary file is left behind."""
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
    temps = tuple(temp_path(target) for target in targets)
    try:
        yield temps
        for temp, target in zip(temps, targets, strict=True):
            if temp.exists():
                commit(temp, target)
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)


def write_atomic(target: Path, data: bytes | str) -> Path:
    """Write `data` (text as UTF-8) to `target` whole or not at all; returns `target`."""
    with replacing(target) as (temp,):
        temp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return target
