"""write_atomic: the whole text or the old file, never a half-written one."""

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
