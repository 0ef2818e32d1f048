"""What the final filesystem ships that it should not, and who the image runs as.

Facts collected during the one pass of :func:`checker.probes.filesystem.scan_filesystem` over
the image's export (:func:`observe` is called per tar member), so they cost no second export:

* files that must not ship: ``.env``, private keys (``id_rsa``..., a ``*.pem``/``*.key`` holding
  ``PRIVATE KEY``), ``.netrc``, ``.git/``, ``.pytest_cache/``, ``__pycache__`` folders the host
  made (bytecode of a Python the image does not have), ``*.tar.gz`` left in ``/tmp``;
* setuid and setgid files (the base image's own are told apart with :func:`base_shipped`);
* ``/etc/passwd`` (to resolve a named ``USER``) and the files a rubric asks to read
  (``file_contains``), at most :data:`MAX_KEPT_BYTES` each.

:func:`resolve_user` answers "which uid does ``Config.User`` mean?" from those facts.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from checker.files import write_atomic

#: The most bytes kept of one file's content (``/etc/passwd``, a ``file_contains`` target).
MAX_KEPT_BYTES = 1024 * 1024
#: The most bytes read of a ``*.pem``/``*.key`` to look for ``PRIVATE KEY``.
_KEY_HEAD_BYTES = 64 * 1024
_KEY_NAMES = frozenset({"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"})
_KEY_SUFFIXES = (".pem", ".key")
#: Folders of the system and of Python itself: a ``__pycache__`` there was made in the image.
_SYSTEM_PREFIXES = ("/usr/", "/lib/", "/lib64/", "/opt/venv/", "/root/.local/", "/etc/", "/var/", "/bin/", "/sbin/")
_PYC_TAG = re.compile(r"\.(cpython-\d+)\.")


@dataclass
class ShippedFacts:
    """What :func:`observe` found in one export."""

    forbidden: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Path -> (bytes, why) of each file or folder that must not ship (a folder: bytes of its files)."""
    special: dict[str, str] = field(default_factory=dict)
    """Path -> ``setuid``, ``setgid`` or ``setuid+setgid`` of each regular file with those bits."""
    kept: dict[str, bytes] = field(default_factory=dict, repr=False)
    """Contents of ``/etc/passwd`` and of the paths asked for (at most :data:`MAX_KEPT_BYTES` each)."""
    pycache_tags: dict[str, set[str]] = field(default_factory=dict, repr=False)
    """``__pycache__`` folder outside the system -> the interpreter tags of its files (``cpython-313``)."""
    pycache_bytes: dict[str, int] = field(default_factory=dict, repr=False)
    """The same folders -> the bytes of their files."""
    interpreters: set[str] = field(default_factory=set)
    """Interpreter tags the image's own Python writes (from ``lib/pythonX.Y`` folders): ``cpython-313``."""
    exists: set[str] = field(default_factory=set, repr=False)
    """Every path seen (files, folders, links), for ``file_exists`` and ``file_absent``."""

    def finish(self) -> None:
        """After the last member: a ``__pycache__`` whose bytecode is for no Python of the image came from the host."""
        for folder, tags in self.pycache_tags.items():
            if tags and not tags & self.interpreters:
                size = self.pycache_bytes.get(folder, 0)
                self.forbidden[folder] = (size, f"bytecode for {', '.join(sorted(tags))}, a Python this image does not "
                                                "have: it was copied from the host")

    def passwd_users(self) -> dict[str, int]:
        """User name -> uid from the image's ``/etc/passwd`` ({} when it has none)."""
        users = {}
        for line in self.kept.get("/etc/passwd", b"").decode("utf-8", "replace").splitlines():
            parts = line.split(":")
            if len(parts) >= 3 and parts[2].isdigit():
                users[parts[0]] = int(parts[2])
        return users


def _why_forbidden(path: str, name: str) -> str | None:
    if name == ".env" or (name.startswith(".env.") and not name.endswith((".example", ".sample", ".template"))):
        return "an environment file, usually holding secrets"
    if name in _KEY_NAMES:
        return "an SSH private key"
    if name == ".netrc":
        return "a .netrc file holds login passwords"
    if path.startswith("/tmp/") and name.endswith((".tar.gz", ".tgz")):
        return "an archive left in /tmp"
    return None


def _folder_reason(path: str) -> str | None:
    """For a path inside a folder that must not ship: (that folder) -- reason; else None."""
    for marker, why in (("/.git/", "a git repository (history, remotes, maybe credentials)"),
                        ("/.pytest_cache/", "pytest's cache, from the host")):
        index = (path + "/").find(marker)
        if index != -1:
            return (path + "/")[: index + len(marker) - 1] + "\0" + why
    return None


def observe(facts: ShippedFacts, member: tarfile.TarInfo, path: str, tar: tarfile.TarFile,
            keep: frozenset[str] = frozenset()) -> None:
    """Record what one tar member of an export adds to ``facts`` (``path`` normalised, absolute).

    ``keep`` names extra files whose content to keep (a rubric's ``file_contains``). Reads at most
    :data:`MAX_KEPT_BYTES` of a kept file and :data:`_KEY_HEAD_BYTES` of a candidate key; never raises.
    """
    facts.exists.add(path)
    name = posixpath.basename(path)
    folder = _folder_reason(path)
    if folder is not None:
        top, reason = folder.split("\0")
        size, _ = facts.forbidden.get(top, (0, reason))
        facts.forbidden[top] = (size + (member.size if member.isreg() else 0), reason)
        return
    if member.isdir():
        match = re.search(r"/lib/python(\d)\.(\d+)$", path)
        if match:
            facts.interpreters.add(f"cpython-{match.group(1)}{match.group(2)}")
        return
    if not member.isreg():
        return
    bits = [label for bit, label in ((0o4000, "setuid"), (0o2000, "setgid")) if member.mode & bit]
    if bits:
        facts.special[path] = "+".join(bits)
    why = _why_forbidden(path, name)
    if why is None and name.endswith(_KEY_SUFFIXES) and member.size <= MAX_KEPT_BYTES:
        head = _read(tar, member, _KEY_HEAD_BYTES)
        if b"PRIVATE KEY" in head:
            why = "a private key"
    if why is not None:
        facts.forbidden[path] = (member.size, why)
    if name.endswith(".pyc") and posixpath.basename(posixpath.dirname(path)) == "__pycache__" \
            and not path.startswith(_SYSTEM_PREFIXES) and "-packages/" not in path:
        tag = _PYC_TAG.search(name)
        folder_path = posixpath.dirname(path)
        facts.pycache_tags.setdefault(folder_path, set())
        facts.pycache_bytes[folder_path] = facts.pycache_bytes.get(folder_path, 0) + member.size
        if tag:
            facts.pycache_tags[folder_path].add(tag.group(1))
    if path == "/etc/passwd" or path in keep:
        facts.kept[path] = _read(tar, member, MAX_KEPT_BYTES)


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo, limit: int) -> bytes:
    try:
        handle = tar.extractfile(member)
        return handle.read(limit) if handle is not None else b""
    except (OSError, tarfile.TarError):
        return b""


def resolve_user(user: str, facts: ShippedFacts | None) -> tuple[int | None, str]:
    """The uid ``Config.User`` (``""``, ``"app"``, ``"10001:10001"``) runs as, and how we know.

    ``""`` means root (uid 0). A name is looked up in the image's ``/etc/passwd``; the uid is None
    when the name is not there (``docker run`` then refuses to start) or no facts were gathered.
    """
    name = user.split(":", 1)[0].strip()
    if not name:
        return 0, "the image sets no USER, so it runs as root"
    if name.isdigit():
        return int(name), f"USER {user} is a numeric uid"
    if facts is None:
        return None, f"USER {user} could not be looked up (the filesystem was not read)"
    users = facts.passwd_users()
    if name in users:
        return users[name], f"USER {user} is uid {users[name]} in the image's /etc/passwd"
    return None, f"USER {user} is not in the image's /etc/passwd, so docker run refuses to start the container"


def _cache_file(image_id: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lean-python-images" / f"base-shipped-{image_id.replace(':', '-')}.json"


def base_shipped(ref: str, *, labels: dict[str, str] | None = None) -> dict[str, list[str]] | None:
    """What the base image itself ships: ``{"special": [paths], "forbidden": [paths]}``, cached by image id.

    The setuid/setgid files and the files that must not ship that the learner's layers did not add.
    None for ``scratch`` or a base image the engine does not have. Raises
    :class:`checker.engine.EngineError` when its filesystem cannot be read.
    """
    from checker import engine
    from checker.probes.filesystem import scan_filesystem

    if not ref or ref == "scratch" or not engine.image_exists(ref):
        return None
    image_id = engine.image_info(ref).id
    cached = _cache_file(image_id)
    try:
        return dict(json.loads(cached.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        pass
    shipped = scan_filesystem(ref, labels=labels).shipped
    found = {"special": sorted(shipped.special), "forbidden": sorted(shipped.forbidden)}
    try:
        write_atomic(cached, json.dumps(found, sort_keys=True))
    except OSError:
        pass
    return found
