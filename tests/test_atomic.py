"""dagster_project.atomic: the one way files are written whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dagster_project.atomic import replacing, write_atomic


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "page.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), replacing(target) as (temp,):
        temp.write_text("half of the new")
        assert temp.parent == tmp_path and temp.name.startswith(".")  # hidden: never loaded
        assert target.read_text() == "old"  # nothing replaced while the block runs
        raise RuntimeError("the pull broke off")
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_two_files_are_replaced_both_or_neither(tmp_path: Path) -> None:
    parquet, csv = tmp_path / "out.parquet", tmp_path / "out.csv"
    parquet.write_text("old parquet")
    csv.write_text("old csv")
    with pytest.raises(ValueError), replacing(parquet, csv) as (parquet_tmp, csv_tmp):
        parquet_tmp.write_text("new parquet")
        csv_tmp.write_text("new csv")
        raise ValueError("the check of the written files failed")
    assert (parquet.read_text(), csv.read_text()) == ("old parquet", "old csv")
    with replacing(parquet, csv) as (parquet_tmp, csv_tmp):
        parquet_tmp.write_text("new parquet")
        csv_tmp.write_text("new csv")
    assert (parquet.read_text(), csv.read_text()) == ("new parquet", "new csv")
    assert _leftovers(tmp_path) == []


def test_a_temporary_file_the_writer_removed_leaves_its_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "snapshot.parquet"
    target.write_bytes(b"same")
    os.utime(target, (1_000_000_000, 1_000_000_000))
    with replacing(target) as (temp,):
        temp.write_bytes(b"same")
        temp.unlink()  # the writer found the content unchanged
    assert target.read_bytes() == b"same"
    assert target.stat().st_mtime == 1_000_000_000  # not rewritten: no new-file sensor run


def test_write_atomic_writes_text_as_utf8_and_bytes_as_given(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "folder"  # created when missing
    text = write_atomic(folder / "report.html", "Kosten € ✓\n")
    assert text.read_bytes() == "Kosten € ✓\n".encode()
    data = write_atomic(folder / "page.json", b'{"a": 1}')
    assert data.read_bytes() == b'{"a": 1}'
    write_atomic(data, b"{}")  # over an existing file
    assert data.read_bytes() == b"{}"
    assert _leftovers(folder) == []
