"""A throwaway PostgreSQL server for tests: initdb in a temp dir, trust auth, a free TCP port.

Usage:
    with running_postgres() as server:
        url = server.create_database("notes")   # postgresql://postgres@127.0.0.1:PORT/notes

Uses the server binaries installed on the machine (Debian: `apt-get install postgresql`).
As root it runs them as the `postgres` OS user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found: "
    "install them with `apt-get install postgresql` (Debian/Ubuntu) and run the tests again"
)
SUPERUSER = "postgres"
_OS_USER = "postgres"
_START_ATTEMPTS = 3


class PostgresError(RuntimeError):
    """The test server could not be found, started or used; the message says why."""


class PostgresNotInstalled(PostgresError):
    """No PostgreSQL server binaries on this machine."""


@dataclass(frozen=True)
class PostgresServer:
    """A running test server. Connections need no password (trust auth)."""

    bindir: Path
    """Where initdb, pg_ctl, createdb and friends live."""
    datadir: Path
    """The cluster's data directory (removed when the server stops)."""
    host: str
    """The address to connect to: the first of the addresses it listens on."""
    port: int
    """The TCP port, chosen free at start."""
    listen_addresses: tuple[str, ...]
    """Every address the server listens on."""

    def url(self, dbname: str = "postgres", host: str | None = None) -> str:
        """A SQLAlchemy/libpq URL for `dbname`; `host` overrides the address (e.g. a bridge IP)."""
        return f"postgresql://{SUPERUSER}@{host or self.host}:{self.port}/{dbname}"

    def create_database(self, dbname: str) -> str:
        """Create an empty database and return its URL."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", dbname):
            raise PostgresError(f"database name {dbname!r}: use lower-case letters, digits and _")
        _run(
            [str(self.bindir / "createdb"), "-h", self.host, "-p", str(self.port),
             "-U", SUPERUSER, dbname],
            what=f"createdb {dbname}",
        )
        return self.url(dbname)

    def drop_database(self, dbname: str) -> None:
        """Drop a database, disconnecting any sessions still using it."""
        _run(
            [str(self.bindir / "dropdb"), "-h", self.host, "-p", str(self.port),
             "-U", SUPERUSER, "--force", "--if-exists", dbname],
            what=f"dropdb {dbname}",
        )


def find_bindir() -> Path:
    """The directory holding initdb and pg_ctl, or PostgresNotInstalled."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        # With only libpq-dev installed, pg_config still answers but the directory has no server.
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if result.returncode == 0 and result.stdout.strip():
            candidates.append(Path(result.stdout.strip()))
    candidates += sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")),
        key=lambda p: _version_key(p.parent.name),
        reverse=True,
    )
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for bindir in candidates:
        if all((bindir / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return bindir
    raise PostgresNotInstalled(INSTALL_HINT)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (the caller should retry if it loses a race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_postgres(listen_addresses: Sequence[str] = ("127.0.0.1",)) -> Iterator[PostgresServer]:
    """Start a fresh server, yield it, then stop it and delete its files, whatever happened."""
    bindir = find_bindir()
    workdir = Path(tempfile.mkdtemp(prefix="lpi-postgres-"))
    datadir = workdir / "data"
    log = workdir / "server.log"
    started = False
    try:
        _give_to_os_user(workdir)
        _run(
            _as_os_user([str(bindir / "initdb"), "-D", str(datadir), "-U", SUPERUSER,
                         "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]),
            what="initdb",
        )
        server = None
        for attempt in range(1, _START_ATTEMPTS + 1):
            port = free_port(listen_addresses[0])
            options = " ".join([
                f"-p {port}",
                f"-c listen_addresses='{','.join(listen_addresses)}'",
                f"-c unix_socket_directories='{workdir}'",
                # Durability is pointless for a throwaway test cluster; speed is not.
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            ])
            result = subprocess.run(
                _as_os_user([str(bindir / "pg_ctl"), "-D", str(datadir), "-l", str(log),
                             "-o", options, "-w", "-t", "60", "start"]),
                capture_output=True, text=True,
            )
            if result.returncode == 0:
                started = True
                server = PostgresServer(bindir, datadir, listen_addresses[0], port,
                                        tuple(listen_addresses))
                break
            if attempt == _START_ATTEMPTS or "could not bind" not in _tail(log):
                raise PostgresError(
                    f"pg_ctl start failed (exit {result.returncode}): "
                    f"{result.stderr.strip()}\nserver log:\n{_tail(log)}"
                )
        assert server is not None
        yield server
    finally:
        if started:
            subprocess.run(
                _as_os_user([str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate",
                             "-w", "stop"]),
                capture_output=True, text=True,
            )
        shutil.rmtree(workdir, ignore_errors=True)


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name)) or (0,)


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _as_os_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root, so root hands the command to the postgres user."""
    if not _running_as_root():
        return command
    return ["runuser", "-u", _OS_USER, "--", *command]


def _give_to_os_user(path: Path) -> None:
    if not _running_as_root():
        return
    try:
        account = pwd.getpwnam(_OS_USER)
    except KeyError:
        raise PostgresNotInstalled(
            f"running as root but there is no {_OS_USER!r} OS user to run the server as; "
            f"{INSTALL_HINT}"
        ) from None
    os.chown(path, account.pw_uid, account.pw_gid)


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip()
        raise PostgresError(f"{what} failed (exit {result.returncode}): {output}")


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"
