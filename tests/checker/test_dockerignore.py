"""THE .dockerignore reader and matcher against Docker's own rules.

Cases are taken from (and cite) Docker's sources:
- PM:  moby/patternmatcher patternmatcher_test.go (TestMatches, matchTests, TestCompile)
- PMG: moby/patternmatcher patternmatcher.go (Pattern.compile, New, MatchesUsingParentResults)
- IF:  moby/patternmatcher ignorefile/ignorefile.go and ignorefile_test.go (ReadAll)
- AR:  moby/go-archive (formerly moby pkg/archive) archive.go TarWithOptions: an excluded folder is
       walked only when a ``!`` pattern starts with its path
- CLI: docker/cli cli/command/image/build/dockerignore.go (TrimBuildFilesFromExcludes)
- DOC: https://docs.docker.com/build/concepts/context/#dockerignore-files
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from checker import staging
from checker.dockerignore import MAX_BYTES, DockerIgnore, DockerIgnoreError, clean
from checker.lesson.context import included_files
from checker.lint import lint

CASES = [
    # (source, .dockerignore text, path, excluded)
    # -- the three cases the old matchers disagreed on: one answer each --
    ("PMG: [ ] passes to Go's regexp, where ! is a member, not a negation", "[!a]b", "cb", False),
    ("PMG: [!a] is the class {!, a}", "[!a]b", "!b", True),
    ("PMG: [!a] is the class {!, a}", "[!a]b", "ab", True),
    ("PMG: ** not followed by / becomes (.*/)?, so the b must start a name", "a/**b", "a/x/yb", False),
    ("PMG: a/**b still spans folders when b starts the name", "a/**b", "a/x/b", True),
    ("PM matchTests: a backslash escapes the next character", "a\\*b", "a*b", True),
    ("PM matchTests: an escaped * is no wildcard", "a\\*b", "axb", False),
    ("PM TestMatches: an escaped backslash is one backslash", "a\\\\", "a\\", True),
    ("PMG: compile hands \\b to Go's regexp, a word boundary: a\\b never matches ab", "a\\b", "ab", False),
    ("PMG: ... but matches the folder a, so what is below it", "a\\b", "a/b", True),
    # -- comments, blank lines, whitespace (IF) --
    ("IF: a line starting with # is a comment", "# .git\n", ".git/HEAD", False),
    ("IF: # counts only in column 1; after spaces it is a pattern", "  #notes", "#notes", True),
    ("IF: blank lines are skipped", "\n\n   \n.git\n", ".git/HEAD", True),
    ("IF: leading and trailing whitespace is trimmed", "  .venv  ", ".venv/bin/python", True),
    ("IF: whitespace after ! is trimmed", "*.md\n!  README.md", "README.md", False),
    ("IF: a UTF-8 BOM starts the first line", "\ufeff.git", ".git/HEAD", True),
    ("IF: CRLF line ends (bufio.ScanLines drops the \\r)", ".git\r\n.venv\r\n", ".venv/x", True),
    # -- cleaning (IF: filepath.Clean) and a leading / --
    ("IF: ./a is a", "./venv", "venv/bin/python", True),
    ("IF: a/ is a", "/.git/", ".git/HEAD", True),
    ("IF: a//b is a/b", "docs//api", "docs/api/index.md", True),
    ("IF: .. is resolved", "./build/../dist", "dist/app", True),
    ("IF ignorefile_test: /foo/bar is foo/bar", "/a/file/here", "a/file/here", True),
    ("DOC: patterns are relative to the context root only", "/docs", "sub/docs/x", False),
    # -- * and ? (PM matchTests) --
    ("PM: * matches within one name", "*.pyc", "a.pyc", True),
    ("PM: * never crosses /", "*.pyc", "pkg/a.pyc", False),
    ("PM: a* matches a parent folder, so everything below", "a*", "ab/c", True),
    ("PM: a*/b does not span two folders", "a*/b", "a/c/b", False),
    ("PM: ? is one character", "abc?def", "abcZdef", True),
    ("PM: ? is not nothing", "abc?def", "abcdef", False),
    ("PM: ? never matches /", "a?b", "a/b", False),
    ("PM: . is literal", "abc.def", "abcZdef", False),
    ("PM: regex metacharacters are literal", "a(b)c/def", "a(b)c/def", True),
    # -- ** (PM TestMatches, TestCompile) --
    ("PM: ** matches everything", "**", "dir/file", True),
    ("PM: **/dir matches at the root too (zero folders)", "**/dir", "dir", True),
    ("PM: **/__pycache__ at any depth", "**/__pycache__", "pkg/sub/__pycache__/a.pyc", True),
    ("PM: **/*.txt at the root", "**/*.txt", "file.txt", True),
    ("PM: **/**/*.txt2 does not match .txt", "**/**/*.txt2", "dir/dir/file.txt", False),
    ("PM: dir/** matches below dir", "dir/**", "dir/dir2/file", True),
    ("PM: abc/** does not match abc itself", "abc/**", "abc", False),
    ("PM: a**/*.txt", "a**/*.txt", "a/dir/dir/file.txt", True),
    ("PMG suffixMatch: **file matches any path ending in file", "**file", "dir/dir/file", True),
    ("PMG suffixMatch: **.pyc matches .pyc files at any depth", "**.pyc", "app/sub/mod.pyc", True),
    ("PMG suffixMatch: **.pyc matches at the root", "**.pyc", "mod.pyc", True),
    ("PMG regexMatch: **.py[co] is a regex, where ** must end at a /", "**.py[co]", "app/mod.pyc", False),
    ("PM: **/.foo is not bar.foo", "**/.foo", "bar.foo", False),
    # -- classes (PM matchTests) --
    ("PM: a range", "a[b-d]e", "ace", True),
    ("PM: outside the range", "a[b-d]e", "aae", False),
    ("PM: [^b-d] negates", "a[^b-d]e", "aze", True),
    ("PM: [^c] negates", "ab[^c]", "abc", False),
    ("PM: a listed class", "*.py[cod]", "x.pyo", True),
    ("PM: an escaped ] in a class", "[\\]a]", "]", True),
    ("PM: an escaped - in a class", "[x\\-]", "-", True),
    ("PM: a rune, not a byte", "a[^a]b", "a\u263ab", True),
    # -- parents and ! (PM, DOC) --
    ("PM: a folder pattern excludes what is inside", ".git", ".git/objects/ab/cdef", True),
    ("DOC: a plain name matches at the root only", "__pycache__", "pkg/__pycache__/a.pyc", False),
    ("PM TestPatternMatchesFolderExclusions: ! re-includes a file of an excluded folder", "docs\n!docs/README.md", "docs/README.md", False),
    ("PM: the rest of the folder stays out", "docs\n!docs/README.md", "docs/other.md", True),
    ("PM TestPatternMatchesFolderWildcardExclusions", "docs/*\n!docs/README.md", "docs/README.md", False),
    ("PM TestExclusionPatternMatchesPatternBefore: a ! before the match is overridden", "!fileutils.go\n*.go", "fileutils.go", True),
    ("DOC: the last matching line decides", "*.md\n!README*.md\nREADME-secret.md", "README-secret.md", True),
    ("DOC: the last matching line decides", "*.md\nREADME-secret.md\n!README*.md", "README-secret.md", False),
    ("PM multiPatternTests: ! lets a folder back in", "**\n!util/docker/web", "util/docker/web/foo", False),
    ("PM multiPatternTests: then a later line takes one file out again", "**\n!util/docker/web\nutil/docker/web/foo",
     "util/docker/web/foo", True),
    ("DOC: * then ! is an allow-list", "*\n!app\napp/secret.txt", "app/main.py", False),
    ("AR: an excluded folder is skipped unless a ! pattern starts with its path", "docs\n!**/keep.md", "docs/keep.md", True),
    ("AR: ... and entered when one does", "docs\n!docs/*.md", "docs/keep.md", False),
    ("PMG: an empty .dockerignore excludes nothing", "", "anything", False),
    ("PM TestExclusionPatternMatchesWholeDirectory: the root is never excluded", "*", ".", False),
]


@pytest.mark.parametrize(("source", "text", "path", "excluded"), CASES, ids=[f"{c[1]!r}~{c[2]!r}" for c in CASES])
def test_when_docker_applies_the_patterns_then_the_matcher_agrees(source, text, path, excluded):
    assert DockerIgnore.parse(text).excludes(path) is excluded, source


@pytest.mark.parametrize("text", ["!", "! ", "!/", "[", "a[", "[^bc", "[]a]", "[-x]", "[x-]", "[a-b-c]", "foo\\",
                                  "[Local-Only]/", "[z-a]", "a\\qb"])
def test_when_a_pattern_is_malformed_then_it_is_refused_as_docker_build_fails(text):
    # PM matchTests (ErrBadPattern), TestSingleExclamationError, the [Local-Only]/ regression
    # test (Go's regexp rejects the range l-O), and IF: "!/" is cleaned to "!".
    with pytest.raises(DockerIgnoreError) as caught:
        DockerIgnore.parse(f".git\n{text}\n")
    assert caught.value.line == 2


@pytest.mark.parametrize(("path", "cleaned"), [("./a//b/../c/", "a/c"), ("", "."), ("/../a", "/a"), ("../a", "../a"), ("a/..", ".")])
def test_clean_is_gos_filepath_clean(path, cleaned):
    assert clean(path) == cleaned


def test_a_decision_names_the_pattern_and_its_line():
    ignore = DockerIgnore.parse("# junk\n.venv\n\n!.venv/keep\n")
    decision = ignore.decide(".venv/keep")
    assert not decision.excluded and decision.pattern.raw == "!.venv/keep" and decision.pattern.line == 4
    assert ignore.deciding_pattern(".venv/bin/python").line == 2
    assert ignore.deciding_pattern("main.py") is None
    assert [p.text for p in ignore.patterns] == [".venv", ".venv/keep"]


def test_a_walk_looks_into_an_excluded_folder_only_for_a_reinclude_that_starts_with_it():
    ignore = DockerIgnore.parse("docs\n!docs/keep.md\nbuild\n!**/keep.txt\n")
    assert ignore.descends_into("docs") and not ignore.descends_into("build")
    assert ignore.decide("build/keep.txt").pruned_at == "build"


def test_the_cli_always_sends_the_dockerfile_and_the_ignore_file():
    # CLI TrimBuildFilesFromExcludes appends "!Dockerfile" and "!.dockerignore" when they are excluded.
    ignore = DockerIgnore.parse("*\n").with_reincluded(".dockerignore", "sub/Dockerfile")
    assert not ignore.excludes(".dockerignore") and not ignore.excludes("sub/Dockerfile")
    assert ignore.descends_into("sub") and ignore.excludes("sub/other")


# -- the reader ----------------------------------------------------------------------------------


def test_when_there_is_no_dockerignore_then_the_reader_gives_an_absent_one(tmp_path: Path):
    ignore = DockerIgnore.read(tmp_path)
    assert not ignore.exists and ignore.text is None and not ignore.excludes(".git/HEAD")
    assert DockerIgnore.parse("").exists


def test_the_reader_follows_a_link_inside_the_context(tmp_path: Path):
    (tmp_path / "ignore.txt").write_text(".git\n")
    os.symlink("ignore.txt", tmp_path / ".dockerignore")
    assert DockerIgnore.read(tmp_path).excludes(".git/HEAD")


def test_the_reader_refuses_a_link_leaving_the_context(tmp_path: Path):
    context = tmp_path / "ctx"
    context.mkdir()
    (tmp_path / "secret").write_text("x\n")
    os.symlink("../secret", context / ".dockerignore")
    with pytest.raises(DockerIgnoreError, match="outside the build context"):
        DockerIgnore.read(context)


def test_the_reader_refuses_a_file_over_the_cap_instead_of_truncating_it(tmp_path: Path):
    (tmp_path / ".dockerignore").write_bytes(b"#\n" * (MAX_BYTES // 2) + b"#")
    with pytest.raises(DockerIgnoreError, match="bytes"):
        DockerIgnore.read(tmp_path)
    (tmp_path / ".dockerignore").write_bytes(b"#\n" * (MAX_BYTES // 2))
    assert DockerIgnore.read(tmp_path).exists


def test_the_reader_refuses_a_folder_named_dockerignore(tmp_path: Path):
    (tmp_path / ".dockerignore").mkdir()
    with pytest.raises(DockerIgnoreError, match="not a regular file"):
        DockerIgnore.read(tmp_path)


def test_the_reader_keeps_the_text_when_a_pattern_is_at_fault(tmp_path: Path):
    (tmp_path / ".dockerignore").write_text(".git\n[\n")
    with pytest.raises(DockerIgnoreError) as caught:
        DockerIgnore.read(tmp_path)
    assert caught.value.text == ".git\n[\n" and caught.value.line == 2


# -- one answer in staging, lint and the lesson -------------------------------------------------


@pytest.mark.parametrize(("text", "name", "sent"), [("[!a]b\n", "cb", True), ("a/**b\n", "a/x/yb", True),
                                                     ("a\\b\n", "a", False)])
def test_the_three_disagreements_give_one_answer_in_staging_lint_and_the_lesson(tmp_path: Path, text, name, sent):
    (tmp_path / ".dockerignore").write_text(text)
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text("x\n")
    (tmp_path / "Dockerfile").write_text(f"FROM scratch\nCOPY {name} /x\n")
    assert (name in staging.stage(tmp_path / "Dockerfile", tmp_path).names) is sent
    assert (name in included_files(tmp_path)) is sent
    linted = lint(tmp_path / "Dockerfile", with_hadolint=False)
    assert linted.rule_results["LPI018"].passed is sent


def test_when_a_pattern_is_malformed_then_lint_says_the_build_fails_and_staging_refuses(tmp_path: Path):
    (tmp_path / ".dockerignore").write_text(".git\n!\n")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    result = lint(tmp_path / "Dockerfile", with_hadolint=False)
    assert not result.rule_results["LPI018"].passed
    assert "line 2" in result.rule_results["LPI018"].findings[0].message
    with pytest.raises(staging.ContextRefused, match="line 2"):
        staging.stage(tmp_path / "Dockerfile", tmp_path)


def test_lint_takes_a_dockerignore_already_read_and_does_not_read_it_again(tmp_path: Path, monkeypatch):
    (tmp_path / ".dockerignore").write_text("requirements.txt\n")
    ignore = DockerIgnore.read(tmp_path)
    monkeypatch.setattr(DockerIgnore, "read", classmethod(lambda cls, *a, **k: pytest.fail("read twice")))
    result = lint("FROM scratch\nCOPY requirements.txt .\n", dockerignore=ignore, context_dir=tmp_path, with_hadolint=False)
    assert not result.rule_results["LPI018"].passed
    absent = lint("FROM scratch\nCOPY . .\n", dockerignore=DockerIgnore.parse(None), with_hadolint=False)
    assert not absent.rule_results["LPI013"].passed
