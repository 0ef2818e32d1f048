"""write_atomic: the whole text or the old file, never a half-written one; a cache folder kept within its budget."""

from __future__ import annotations

import pytest

from checker.files import write_atomic


def test_when_text_is_written_then_the_file_holds_it_and_no_temp_file_remains(tmp_path):
    target = tmp_path / "deep" / "report.json"
    write_atomic(target, "{}\n")
    assert target.read_text() == "{}\n"
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


def test_when_writing_fails_then_the_old_file_stays_and_no_temp_file_remains(tmp_path, monkeypatch):
    target = tmp_path / "gradebook.csv"
    target.write_text("old\n")

    def broken_replace(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr("checker.files.os.replace", broken_replace)
    with pytest.raises(OSError):
        write_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["gradebook.csv"]


def test_a_cache_folder_is_kept_within_its_budget_oldest_first_sub_folders_included(tmp_path):
    import os

    from checker.files import evict_least_recent, write_bytes_atomic

    for number in range(5):
        path = tmp_path / "cache" / f"v{number % 2}" / f"{number}.bin"
        write_bytes_atomic(path, b"x" * 100)
        os.utime(path, (1000 + number, 1000 + number))
    removed = evict_least_recent([tmp_path / "cache", tmp_path / "absent"], 250)
    assert sorted(path.name for path in removed) == ["0.bin", "1.bin", "2.bin"]
    left = sorted(path.name for path in (tmp_path / "cache").rglob("*.bin"))
    assert left == ["3.bin", "4.bin"] and not list((tmp_path / "cache").rglob("*.tmp"))


def test_written_files_get_the_mode_open_would_give_not_mkstemps_private_one(tmp_path):
    # Gradebooks and reports are read by other people on a shared machine (issue found by a new-user trial).
    import os
    import stat

    from checker.files import NEW_FILE_MODE, write_bytes_atomic

    mask = os.umask(0o022)
    os.umask(mask)
    assert NEW_FILE_MODE == 0o666 & ~mask
    write_atomic(tmp_path / "gradebook.csv", "student\n")
    write_bytes_atomic(tmp_path / "cache.bin", b"x")
    for name in ("gradebook.csv", "cache.bin"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == NEW_FILE_MODE
