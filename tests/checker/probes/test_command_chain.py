"""The command's chain resolved in a scanned filesystem, as the kernel and the image's user see it
(pure: hand-made filesystems, no engine). Issue 16, kinds 6 (a broken interpreter behind the CMD)
and 8 (permissions reported as missing libraries)."""

from __future__ import annotations

import posixpath

from checker import checks as dynamic
from checker import engine, probes
from checker.probes import FilesystemFacts, RuntimeFacts
from checker.probes import command as command_chain

PASSWD = "root:x:0:0:root:/root:/bin/bash\napp:x:10001:10001::/nonexistent:/usr/sbin/nologin\n"
GROUP = "root:x:0:\napp:x:10001:\n"
PSYCOPG = "/lib/python3.13/site-packages/psycopg2/_psycopg.cpython-313-x86_64-linux-gnu.so"


def image(cmd=("uvicorn", "main:app", "--host", "0.0.0.0"), path="/opt/venv/bin:/usr/local/bin:/usr/bin:/bin",
          user="app", workdir="/app", entrypoint=None) -> engine.ImageInfo:
    return engine.ImageInfo(id="sha256:x", tags=(), size_bytes=1, labels={}, layers=(), env=(f"PATH={path}",), user=user,
                            cmd=tuple(cmd), entrypoint=tuple(entrypoint) if entrypoint else None, exposed_ports=(),
                            created="", workdir=workdir)


class Tree:
    """A filesystem scan built by hand: parents are folders 0755 root:root unless given."""

    def __init__(self) -> None:
        self.fs = FilesystemFacts()
        self.fs.accounts = {"/etc/passwd": PASSWD, "/etc/group": GROUP}
        self.add("/", "d")

    def add(self, path: str, kind: str = "f", mode: int | None = None, owner: int = 0, group: int = 0,
            target: str | None = None, head: bytes | None = None) -> "Tree":
        parent = posixpath.dirname(path)
        if path != "/" and parent not in self.fs.kinds:
            self.add(parent, "d")
        self.fs.kinds[path] = kind
        default = {"d": 0o755, "f": 0o755 if head else 0o644, "l": 0o777}[kind]
        self.fs.modes[path] = (default if mode is None else mode, owner, group)
        if target is not None:
            self.fs.links[path] = target
        if head is not None:
            self.fs.heads[path] = head
        return self

    def python313(self, prefix: str = "/usr/local/bin") -> "Tree":
        self.add(f"{prefix}/python3.13", head=b"\x7fELF")
        self.add(f"{prefix}/python3", "l", target="python3.13")
        return self.add(f"{prefix}/python", "l", target="python3")

    def venv(self, at: str, made_at: str | None = None, home: str = "/usr/local/bin", copies: bool = False,
             **modes) -> "Tree":
        made_at = made_at or at
        self.fs.venvs[at] = f"home = {home}\ninclude-system-site-packages = false\nversion = 3.13.5\n"
        self.add(f"{at}/pyvenv.cfg", **modes)
        if copies:
            self.add(f"{at}/bin/python", head=b"\x7fELF", **modes)
        else:
            self.add(f"{at}/bin/python", "l", target=f"{home}/python3")
        self.add(f"{at}/bin/uvicorn", head=f"#!{made_at}/bin/python\nimport sys\n".encode(), **modes)
        self.add(f"{at}/bin/alembic", head=f"#!{made_at}/bin/python\nimport sys\n".encode(), **modes)
        self.fs.extensions.append(at + PSYCOPG)
        return self.add(at + PSYCOPG, **modes)


def judge(check_id: str, evidence: dynamic.Evidence):
    definition = dynamic.REGISTRY[check_id]
    return definition.judge(evidence, dict(definition.defaults))


def runtime(interpreter="/opt/venv/bin/python", **kwargs) -> RuntimeFacts:
    facts = RuntimeFacts(interpreter=interpreter, found_by="python on the image's PATH", version="3.13.5",
                         soabi="cpython-313-x86_64-linux-gnu", libraries_by="ELF")
    for key, value in kwargs.items():
        setattr(facts, key, value)
    return facts


# -- kind 6: the chain the kernel resolves -----------------------------------------------------


def test_when_the_reference_venv_is_intact_then_the_chain_reaches_its_python_without_a_problem():
    fs = Tree().python313().venv("/opt/venv").fs
    command = probes.resolve_command(image(), fs)
    assert command.problem is None and command.interpreter == "/opt/venv/bin/python"
    assert command.chain[0] == "uvicorn -> /opt/venv/bin/uvicorn (on PATH)"
    assert "/opt/venv/bin/python -> /usr/local/bin/python3" in command.chain
    assert probes.venv_problems(fs) == {}
    assert probes.runtime_interpreter(image(), fs)[0] == "/opt/venv/bin/python"


def test_when_the_venv_was_made_elsewhere_then_the_dangling_shebang_is_named_with_the_fix():
    fs = Tree().python313().venv("/opt/venv", made_at="/build/.venv").fs
    command = probes.resolve_command(image(), fs)
    assert "/opt/venv/bin/uvicorn starts with #!/build/.venv/bin/python" in command.problem
    assert "/build/.venv/bin/python does not exist in the image" in command.problem
    assert "create the venv at the path it will run from" in command.problem and not command.denied
    path, how = probes.runtime_interpreter(image(), fs, command)
    assert path == "/opt/venv/bin/python" and "cannot start" in how  # a fallback, and it says so
    evidence = dynamic.Evidence(image=image(), filesystem=fs, command=command, runtime=runtime(imports={"main": (True, "")}))
    imports = judge("app_imports", evidence)
    assert not imports.passed and "#!/build/.venv/bin/python" in imports.message
    same = judge("same_python", evidence)
    assert not same.passed and "/opt/venv" in same.message and "#!/build/.venv/bin/python" in same.message
    health = judge("health", dynamic.Evidence(image=image(), filesystem=fs, command=command, health=probes.HealthFacts(
        ok=False, error="The container stopped (exit code 1).", logs="exec /opt/venv/bin/uvicorn: no such file or directory")))
    assert not health.passed and "/build/.venv/bin/python does not exist" in health.message


def test_when_a_venv_from_a_python_image_lands_on_debian_then_its_missing_home_is_named():
    # python:3.13 builder (home /usr/local/bin), debian:trixie-slim runtime with python3 in /usr/bin.
    fs = Tree().python313("/usr/bin").venv("/opt/venv").fs
    command = probes.resolve_command(image(), fs)
    assert "/opt/venv/bin/python -> /usr/local/bin/python3" in command.problem
    assert "/usr/local/bin/python3 does not exist" in command.problem
    assert "/usr/local/bin/python3 does not exist" in probes.venv_problems(fs)["/opt/venv"]


def test_when_a_copies_venv_lands_on_an_image_without_its_home_then_pyvenv_cfg_home_is_named():
    fs = Tree().python313("/usr/bin").venv("/opt/venv", copies=True).fs
    command = probes.resolve_command(image(cmd=("python", "-m", "uvicorn", "main:app")), fs)
    assert command.interpreter == "/opt/venv/bin/python"
    assert "home = /usr/local/bin" in command.problem and "does not have" in command.problem
    evidence = dynamic.Evidence(image=image(), filesystem=fs, command=command, runtime=runtime())
    outcome = judge("same_python", evidence)
    assert not outcome.passed and "home = /usr/local/bin" in outcome.message


def test_when_a_script_asks_env_for_a_python_the_image_lacks_then_that_name_is_the_problem():
    fs = Tree().python313().add("/usr/local/bin/serve", head=b"#!/usr/bin/env python3.12\nimport app\n").add("/usr/bin/env").fs
    command = probes.resolve_command(image(cmd=("serve",), path="/usr/local/bin:/usr/bin:/bin"), fs)
    assert "#!/usr/bin/env python3.12" in command.problem and "python3.12 does not exist on PATH" in command.problem
    fine = Tree().python313().add("/usr/local/bin/serve", head=b"#!/usr/bin/env python3\n").add("/usr/bin/env").fs
    command = probes.resolve_command(image(cmd=("serve",), path="/usr/local/bin:/usr/bin:/bin"), fine)
    assert command.problem is None and command.interpreter == "/usr/local/bin/python3"


def test_when_a_shell_or_launcher_wraps_the_command_then_the_chain_follows_the_program_inside():
    fs = Tree().python313().venv("/opt/venv", made_at="/build/.venv").add("/usr/bin/tini", head=b"\x7fELF").fs
    for argv in (("/bin/sh", "-c", "exec uvicorn main:app"), ("tini", "--", "uvicorn", "main:app"),
                 ("env", "A=1", "uvicorn", "main:app")):
        command = probes.resolve_command(image(cmd=argv), fs)
        assert command.problem and "#!/build/.venv/bin/python" in command.problem, argv


def test_when_the_program_is_absent_then_it_is_named_and_a_binary_ends_the_chain_without_a_verdict():
    fs = Tree().python313().add("/usr/local/bin/server", head=b"\x7fELF").fs
    assert "gunicorn does not exist on PATH" in probes.resolve_command(image(cmd=("gunicorn", "app:app")), fs).problem
    command = probes.resolve_command(image(cmd=("server",)), fs)
    assert command.problem is None and command.interpreter is None


# -- kind 8: the image's user and the files' modes ---------------------------------------------


def user_install() -> FilesystemFacts:
    """pip install --user in the builder, /root/.local copied, USER app: /root is 0700 root:root."""
    tree = Tree().python313().add("/root", "d", mode=0o700)
    tree.add("/root/.local/bin/uvicorn", head=b"#!/usr/local/bin/python3.13\n")
    site = "/root/.local/lib/python3.13/site-packages"
    tree.fs.extensions.append(site + "/psycopg2/_psycopg.cpython-313-x86_64-linux-gnu.so")
    tree.add(site + "/psycopg2/_psycopg.cpython-313-x86_64-linux-gnu.so")
    tree.fs.site_dirs[site] = 900
    return tree.add("/app/main.py").fs


def test_the_image_user_is_resolved_through_the_images_own_passwd_and_group():
    fs = Tree().fs
    assert probes.image_user("app", fs) == probes.ImageUser("app", 10001, (10001,), "app")
    assert probes.image_user("10001", fs).gids == (10001,) and str(probes.image_user("10001", fs)) == "user app (uid 10001)"
    assert probes.image_user("4242", fs) == probes.ImageUser("4242", 4242, (0,))  # no passwd entry: group 0
    assert probes.image_user("", fs).uid == 0 and probes.image_user("ghost", fs).uid is None
    assert probes.image_user("app:root", fs).gids[0] == 0


def test_when_user_install_lives_under_root_then_the_program_is_denied_not_missing():
    fs = user_install()
    command = probes.resolve_command(image(path="/root/.local/bin:/usr/local/bin:/usr/bin:/bin"), fs)
    assert command.denied
    assert "/root/.local/bin/uvicorn exists" in command.problem
    assert "/root is drwx------ (0700) root:root, so user app (uid 10001) cannot enter it" in command.problem
    as_root = probes.resolve_command(image(path="/root/.local/bin:/usr/local/bin", user=""), fs)
    assert as_root.problem is None and as_root.interpreter == "/usr/local/bin/python3.13"


def test_when_extensions_are_unreadable_then_native_libs_says_permission_and_never_suggests_a_package():
    fs = user_install()
    info = image(path="/root/.local/bin:/usr/local/bin:/usr/bin:/bin")
    ldd_error = {fs.extensions[0]: f"ldd: {fs.extensions[0]}: No such file or directory"}
    evidence = dynamic.Evidence(image=info, filesystem=fs, command=probes.resolve_command(info, fs),
                                runtime=runtime("/usr/local/bin/python3.13", library_errors=ldd_error,
                                                libraries={fs.extensions[0]: []}))
    outcome = judge("native_libs", evidence)
    assert not outcome.passed
    assert "exist but the image's user cannot read them" in outcome.message and "/root is drwx------" in outcome.message
    assert "install the runtime package" not in outcome.message and "libpq5" not in outcome.message
    assert "No such file" not in outcome.message


def test_when_the_app_files_are_0600_root_then_app_imports_and_health_name_the_files_mode_and_user():
    tree = Tree().python313().venv("/opt/venv")
    tree.add("/app/main.py", mode=0o600).add("/app/db.py", mode=0o600).add("/app/README.md")
    info = image(user="10001")
    command = probes.resolve_command(info, tree.fs)
    assert command.problem is None
    error = "PermissionError: [Errno 13] Permission denied: '/app/main.py'\n"
    evidence = dynamic.Evidence(image=info, filesystem=tree.fs, command=command,
                                runtime=runtime(imports={"main": (False, error)}, sys_path=["/app", "/opt/venv/lib"]))
    outcome = judge("app_imports", evidence)
    assert not outcome.passed and "/app/main.py is -rw------- (0600) root:root" in outcome.message
    assert "user app (uid 10001) cannot read it" in outcome.message
    health = judge("health", dynamic.Evidence(image=info, filesystem=tree.fs, command=command,
                                              health=probes.HealthFacts(ok=False, error="The container stopped.")))
    assert not health.passed and "/app/main.py is -rw------- (0600)" in health.message


def test_when_the_venv_sits_in_a_0700_home_then_its_interpreter_is_denied():
    tree = Tree().python313().add("/home/dev", "d", mode=0o700, owner=1000, group=1000)
    tree.venv("/home/dev/venv", owner=1000, group=1000)
    tree.fs.accounts["/etc/passwd"] += "dev:x:1000:1000::/home/dev:/bin/bash\n"
    command = probes.resolve_command(image(path="/home/dev/venv/bin:/usr/local/bin:/usr/bin"), tree.fs)
    assert command.denied and "/home/dev is drwx------ (0700) dev:1000" in command.problem
    assert probes.resolve_command(image(path="/home/dev/venv/bin:/usr/local/bin", user="dev"), tree.fs).problem is None


def test_access_needs_enter_on_every_folder_and_read_or_run_on_the_file():
    tree = Tree().add("/srv", "d", mode=0o711).add("/srv/run.sh", mode=0o744, head=b"#!/bin/sh\n")
    tree.add("/srv/secret", mode=0o640, group=10001)
    app = probes.image_user("app", tree.fs)
    assert probes.access_problem(tree.fs, "/srv/run.sh", app, "r") is None
    assert "cannot run it" in probes.access_problem(tree.fs, "/srv/run.sh", app, "x")
    assert probes.access_problem(tree.fs, "/srv/secret", app, "r") is None  # through its group
    assert "cannot list it" in probes.access_problem(tree.fs, "/srv", app, "d")
    root = probes.image_user("", tree.fs)
    assert probes.access_problem(tree.fs, "/srv/secret", root, "r") is None
    assert command_chain.mode_text(0o700, True) == "drwx------ (0700)"


def test_a_venv_home_holding_only_the_versioned_python_still_counts():
    tree = Tree().add("/opt/py/bin/python3.13", head=b"\x7fELF").venv("/opt/venv", home="/opt/py/bin", copies=True)
    assert probes.venv_problems(tree.fs) == {}
    assert probes.resolve_command(image(), tree.fs).problem is None


def test_a_shell_script_with_operators_or_builtins_is_left_to_the_shell_without_a_verdict():
    fs = Tree().python313().venv("/opt/venv").fs
    for script in ("cd /app && uvicorn main:app", "uvicorn main:app --port $PORT", "export A=1; uvicorn main:app",
                   "cd /app"):
        command = probes.resolve_command(image(cmd=("/bin/sh", "-c", script)), fs)
        assert command.problem is None and command.interpreter is None, script
