"""The filesystem scan reads each tar member once, even when a rubric keeps a file it also reads.

An export is a forward-only stream: a second read of a member raises ``StreamError: seeking
backwards is not allowed``. A rubric's ``file_contains`` on a script in a PATH folder (the scan
keeps the first bytes of every program there, to follow shebangs) once made grading fail so.
"""

from __future__ import annotations

import contextlib
import io
import tarfile

from checker.probes import filesystem

SCRIPT = b"#!/opt/venv/bin/python\nimport sys\nfrom uvicorn.main import main\nsys.exit(main())\n"
PYVENV = b"home = /usr/local/bin\ninclude-system-site-packages = false\nversion = 3.13.0\n"


class ForwardOnly(io.RawIOBase):
    """A stream that reads forward only, as ``docker export`` delivers it."""

    def __init__(self, data: bytes) -> None:
        self._data, self._at = data, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer) -> int:
        chunk = self._data[self._at:self._at + min(len(buffer), 4096)]
        buffer[:len(chunk)] = chunk
        self._at += len(chunk)
        return len(chunk)


def export_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def scan(monkeypatch, files: dict[str, bytes], keep: tuple[str, ...]) -> filesystem.FilesystemFacts:
    @contextlib.contextmanager
    def exported(image, labels=None):
        yield io.BufferedReader(ForwardOnly(export_of(files)))

    monkeypatch.setattr(filesystem.engine, "exported_filesystem", exported)
    return filesystem.scan_filesystem("image", path_var="/opt/venv/bin:/usr/bin", keep_files=keep)


def test_when_a_rubric_keeps_a_script_on_path_then_the_scan_reads_it_once_and_has_both_facts(monkeypatch):
    files = {"/opt/venv/bin/uvicorn": SCRIPT, "/opt/venv/pyvenv.cfg": PYVENV, "/etc/passwd": b"root:x:0:0::/root:/bin/sh\n"}
    facts = scan(monkeypatch, files, keep=("/opt/venv/bin/uvicorn", "/opt/venv/pyvenv.cfg", "/etc/passwd"))
    assert facts.shipped.kept["/opt/venv/bin/uvicorn"] == SCRIPT
    assert facts.heads["/opt/venv/bin/uvicorn"] == SCRIPT[:256]
    assert facts.venvs["/opt/venv"] == PYVENV.decode()
    assert facts.accounts["/etc/passwd"].startswith("root:x:0:0")


def test_without_kept_files_the_scan_reads_the_same_facts(monkeypatch):
    facts = scan(monkeypatch, {"/opt/venv/bin/uvicorn": SCRIPT, "/opt/venv/pyvenv.cfg": PYVENV}, keep=())
    assert "/opt/venv/bin/uvicorn" not in facts.shipped.kept
    assert facts.heads["/opt/venv/bin/uvicorn"] == SCRIPT[:256]
    assert facts.venvs["/opt/venv"] == PYVENV.decode()
