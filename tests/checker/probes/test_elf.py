"""ELF dynamic sections read with pyelftools, and libraries searched as ld.so searches, on small
binaries compiled here with the host's gcc (a test without gcc fails and says so)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from checker.probes.elf import ElfDynamic, Resolver, expand, ld_so_conf_dirs, read_dynamic, read_ld_so_cache


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """``libs/libdep.so.1`` (SONAME libdep.so.1), ``ext/ext.so`` needing it with RUNPATH
    ``$ORIGIN/../libs``, ``ext/old.so`` with the same folder as RPATH, and a program ``app``."""
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        pytest.fail("These tests compile small ELF files: install gcc (apt-get install gcc) and run them again.")
    root = tmp_path_factory.mktemp("elf")
    (root / "libs").mkdir()
    (root / "ext").mkdir()
    (root / "dep.c").write_text("int dep(void) { return 1; }\n")
    (root / "ext.c").write_text("#include <stdio.h>\nint dep(void);\nint ext(void) { puts(\"ext\"); return dep(); }\n")
    (root / "app.c").write_text("int main(void) { return 0; }\n")

    def cc(*args: str) -> None:
        subprocess.run([gcc, *args], cwd=root, check=True, capture_output=True)

    cc("-shared", "-fPIC", "-Wl,-soname,libdep.so.1", "-o", "libs/libdep.so.1", "dep.c")
    cc("-shared", "-fPIC", "-o", "ext/ext.so", "ext.c", "-Llibs", "-l:libdep.so.1",
       "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../libs")
    cc("-shared", "-fPIC", "-o", "ext/old.so", "ext.c", "-Llibs", "-l:libdep.so.1",
       "-Wl,--disable-new-dtags,-rpath,$ORIGIN/../libs")
    cc("-o", "app", "app.c")
    return root


def dynamic_of(path: Path) -> ElfDynamic:
    found = read_dynamic(io.BytesIO(path.read_bytes()))
    assert found is not None, f"{path} was not read as ELF"
    return found


def test_read_dynamic_gives_needed_soname_runpath_and_the_programs_loader(built):
    library, extension, old, program = (dynamic_of(built / p) for p in ("libs/libdep.so.1", "ext/ext.so", "ext/old.so", "app"))
    assert library.soname == "libdep.so.1" and library.interpreter == ""
    assert extension.needed[0] == "libdep.so.1" and "libc.so.6" in extension.needed
    assert extension.runpath == ("$ORIGIN/../libs",) and extension.rpath == ()
    assert old.rpath == ("$ORIGIN/../libs",) and old.runpath == ()
    assert program.interpreter.startswith("/") and "ld-" in program.interpreter
    assert extension.elf_class == program.elf_class and extension.machine == program.machine and program.machine.startswith("EM_")


def test_read_dynamic_answers_none_for_text_and_for_a_truncated_elf(built):
    assert read_dynamic(io.BytesIO(b"INPUT(libc.so.6)\n")) is None
    head = (built / "ext/ext.so").read_bytes()[:80]
    assert read_dynamic(io.BytesIO(head)) is None


def test_read_dynamic_needs_no_section_headers(built):
    """``strip --strip-section-headers`` (binutils 2.41+) or a zeroed table: the dynamic segment is enough."""
    data = bytearray((built / "ext/ext.so").read_bytes())
    data[0x28:0x30] = bytes(8)   # e_shoff
    data[0x3C:0x40] = bytes(4)   # e_shnum, e_shstrndx
    found = read_dynamic(io.BytesIO(bytes(data)))
    assert found is not None and found.needed[0] == "libdep.so.1" and found.runpath == ("$ORIGIN/../libs",)


class Image:
    """A fake image's files for the pure resolver: real path -> ElfDynamic, plus symbolic links."""

    def __init__(self, files: dict[str, ElfDynamic], links: dict[str, str] | None = None) -> None:
        self.files, self.links = files, links or {}

    def lookup(self, path: str) -> str | None:
        path = self.links.get(path, path)
        return path if path in self.files else None

    def resolver(self, **kwargs) -> Resolver:
        return Resolver(self.lookup, self.files, **kwargs)


def lib(*needed: str, soname: str = "", runpath: tuple[str, ...] = (), rpath: tuple[str, ...] = (),
        machine: str = "EM_X86_64", elf_class: int = 64) -> ElfDynamic:
    return ElfDynamic(elf_class, machine, needed, runpath, rpath, soname)


LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6"


def test_an_extension_finds_its_bundled_library_through_runpath_origin_and_libc_in_the_default_folder(built):
    extension, library = dynamic_of(built / "ext/ext.so"), dynamic_of(built / "libs/libdep.so.1")
    site = "/opt/venv/lib/python3.13/site-packages"
    image = Image({f"{site}/pkg/ext.so": extension, f"{site}/libs/libdep.so.1": library, LIBC: lib(soname="libc.so.6")})
    closure = image.resolver().closure(f"{site}/pkg/ext.so")
    assert closure.missing == []
    assert closure.found["libdep.so.1"] == f"{site}/libs/libdep.so.1" and closure.found["libc.so.6"] == LIBC


def test_a_missing_library_deep_in_the_tree_is_named_with_the_file_that_needs_it():
    image = Image({"/ext.so": lib("libpq.so.5"), "/usr/lib/x86_64-linux-gnu/libpq.so.5": lib("libgssapi_krb5.so.2")})
    closure = image.resolver().closure("/ext.so")
    assert closure.missing == ["libgssapi_krb5.so.2"]
    assert closure.needed_by["libgssapi_krb5.so.2"] == "/usr/lib/x86_64-linux-gnu/libpq.so.5"


def test_a_library_the_interpreter_already_loaded_counts_even_outside_every_search_folder():
    image = Image({"/usr/local/bin/python3.13": lib("libpython3.13.so.1.0"),
                   "/usr/local/lib/libpython3.13.so.1.0": lib(soname="libpython3.13.so.1.0"),
                   "/ext.so": lib("libpython3.13.so.1.0")})
    resolver = image.resolver(configured=["/usr/local/lib"])
    loaded = resolver.program_closure("/usr/local/bin/python3.13")
    assert Image({"/ext.so": lib("libpython3.13.so.1.0")}).resolver().closure("/ext.so", loaded=loaded).missing == []
    assert Image({"/ext.so": lib("libpython3.13.so.1.0")}).resolver().closure("/ext.so").missing == ["libpython3.13.so.1.0"]


def test_ld_library_path_comes_before_runpath_and_runpath_silences_rpath():
    files = {"/ext.so": lib("libx.so", runpath=("/run",), rpath=("/old",)),
             "/env/libx.so": lib(soname="env"), "/run/libx.so": lib(soname="run"), "/old/libx.so": lib(soname="old")}
    assert Image(files).resolver(library_path="/env").closure("/ext.so").found["libx.so"] == "/env/libx.so"
    assert Image(files).resolver().closure("/ext.so").found["libx.so"] == "/run/libx.so"
    only_rpath = dict(files, **{"/ext.so": lib("libx.so", rpath=("/old",))})
    assert Image(only_rpath).resolver(library_path="/env").closure("/ext.so").found["libx.so"] == "/old/libx.so"


def test_a_library_of_another_machine_is_skipped_as_ld_so_skips_it():
    files = {"/ext.so": lib("libx.so", runpath=("/arm",)), "/arm/libx.so": lib(machine="EM_AARCH64"),
             "/usr/lib/libx.so": lib()}
    assert Image(files).resolver().closure("/ext.so").found["libx.so"] == "/usr/lib/libx.so"
    del files["/usr/lib/libx.so"]
    assert Image(files).resolver().closure("/ext.so").missing == ["libx.so"]


def test_a_folder_listed_only_in_ld_so_conf_d_is_searched_and_links_are_followed():
    files = {"/ext.so": lib("libora.so.1"), "/opt/oracle/lib/libora.so.1.2": lib()}
    links = {"/opt/oracle/lib/libora.so.1": "/opt/oracle/lib/libora.so.1.2"}
    texts = {"/etc/ld.so.conf": "include /etc/ld.so.conf.d/*.conf\n",
             "/etc/ld.so.conf.d/oracle.conf": "# Oracle client\n/opt/oracle/lib\n",
             "/etc/ld.so.conf.d/notes.txt": "/nowhere\n"}
    configured = ld_so_conf_dirs(texts, texts)
    assert configured == ["/opt/oracle/lib"]
    assert Image(files, links).resolver(configured=configured).closure("/ext.so").missing == []
    assert Image(files, links).resolver().closure("/ext.so").missing == ["libora.so.1"]


def test_an_include_loop_in_ld_so_conf_is_followed_once():
    texts = {"/etc/ld.so.conf": "include ld.so.conf.d/*.conf\n/usr/local/lib\n",
             "/etc/ld.so.conf.d/a.conf": "include /etc/ld.so.conf\n/a\n"}
    assert ld_so_conf_dirs(texts, texts) == ["/a", "/usr/local/lib"]


def test_expand_fills_origin_lib_and_platform():
    assert expand("$ORIGIN/../pkg.libs", "/site/pkg", "EM_X86_64") == "/site/pkg.libs"
    assert expand("${ORIGIN}/x", "/a", "EM_X86_64") == "/a/x"
    assert expand("/usr/$LIB/extra", "/", "EM_X86_64") == "/usr/lib/x86_64-linux-gnu/extra"
    assert expand("/opt/$PLATFORM", "/", "EM_AARCH64") == "/opt/aarch64"


def ld_so_cache(entries: list[tuple[str, str]], old_table: bytes = b"") -> bytes:
    """The bytes ``ldconfig`` writes (glibc 2.32+ format), built here from (name, path) pairs."""
    strings = b""
    offsets = []
    table_end = 48 + 24 * len(entries)
    for name, path in entries:
        offsets.append((table_end + len(strings), table_end + len(strings) + len(name) + 1))
        strings += name.encode() + b"\0" + path.encode() + b"\0"
    header = b"glibc-ld.so.cache1.1" + len(entries).to_bytes(4, "little") + len(strings).to_bytes(4, "little")
    header += bytes(48 - len(header))
    table = b"".join((0x303).to_bytes(4, "little") + key.to_bytes(4, "little") + value.to_bytes(4, "little")
                     + bytes(12) for key, value in offsets)
    return old_table + header + table + strings


def test_read_ld_so_cache_maps_names_to_paths_after_an_old_table_too_and_answers_empty_for_junk():
    data = ld_so_cache([("libpq.so.5", "/usr/lib/x86_64-linux-gnu/libpq.so.5"), ("libz.so.1", "/lib/libz.so.1")])
    assert read_ld_so_cache(data) == {"libpq.so.5": ["/usr/lib/x86_64-linux-gnu/libpq.so.5"], "libz.so.1": ["/lib/libz.so.1"]}
    assert read_ld_so_cache(b"ld.so-1.7.0" + bytes(5) + data)["libz.so.1"] == ["/lib/libz.so.1"]
    assert read_ld_so_cache(b"ld.so-1.7.0 only the old format") == {}
    assert read_ld_so_cache(data[:60]) == {}


def test_the_cache_is_searched_before_the_default_folders_and_a_stale_cache_falls_through_to_them():
    files = {"/ext.so": lib("libpq.so.5"), "/opt/pg/lib/libpq.so.5": lib(), "/usr/lib/libpq.so.5": lib()}
    cache = {"libpq.so.5": ["/opt/pg/lib/libpq.so.5"]}
    assert Image(files).resolver(cache=cache).closure("/ext.so").found["libpq.so.5"] == "/opt/pg/lib/libpq.so.5"
    stale = {"libpq.so.5": ["/gone/libpq.so.5"]}
    assert Image(files).resolver(cache=stale).closure("/ext.so").found["libpq.so.5"] == "/usr/lib/libpq.so.5"


def test_musl_folders_replace_glibcs_defaults():
    files = {"/ext.so": lib("libpq.so.5"), "/usr/local/lib/libpq.so.5": lib()}
    assert Image(files).resolver().closure("/ext.so").missing == ["libpq.so.5"]
    assert Image(files).resolver(system_dirs=("/lib", "/usr/local/lib", "/usr/lib")).closure("/ext.so").missing == []


def test_origin_is_the_folder_the_loader_opened_even_through_a_link():
    files = {"/ext.so": lib("liba.so"), "/real/liba.so": lib("libb.so", runpath=("$ORIGIN/deps",)),
             "/via/deps/libb.so": lib()}
    links = {"/via/liba.so": "/real/liba.so"}
    closure = Image(files, links).resolver(library_path="/via").closure("/ext.so")
    assert closure.missing == [] and closure.found["libb.so"] == "/via/deps/libb.so"
