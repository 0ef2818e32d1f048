"""LPI014: no secrets in the Dockerfile."""

from __future__ import annotations

import re
from collections.abc import Iterator

from checker.rules.base import Context, Flag, rule


_SECRET_WORDS = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "APIKEY", "CREDENTIALS", "PRIVATEKEY")
_SECRET_PAIRS = (("API", "KEY"), ("ACCESS", "KEY"), ("PRIVATE", "KEY"), ("SECRET", "KEY"), ("AUTH", "KEY"))
#: A final name part that makes the variable a setting about a secret, not the secret itself.
_NOT_SECRET_SUFFIXES = frozenset({"FILE", "PATH", "DIR", "URL", "ENDPOINT", "EXPIRY", "EXPIRE", "EXPIRES", "TTL", "LENGTH", "LEN", "SIZE", "HEADER", "NAME", "TYPE", "ID", "ENABLED", "REQUIRED"})
_REFERENCE_RE = re.compile(r"^\$(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)$")
_URL_CREDENTIALS_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:([^/\s@]+)@")


def is_secret_name(name: str) -> bool:
    """``DB_PASSWORD``, ``GITHUB_TOKEN``, ``OPENAI_API_KEY``, ``AWS_ACCESS_KEY_ID``: yes.
    ``PASSWORD_FILE``, ``TOKENIZERS_PARALLELISM``, ``PWD``: no."""
    parts = [part for part in re.split(r"[^A-Z0-9]+", name.upper()) if part]
    if not parts:
        return False
    aws_key_id = parts[0] == "AWS" and "ACCESS" in parts and "KEY" in parts
    if parts[-1] in _NOT_SECRET_SUFFIXES and not aws_key_id:
        return False
    joined = "".join(parts)
    if any(word in parts for word in _SECRET_WORDS) or "APIKEY" in joined or "PRIVATEKEY" in joined:
        return True
    return any(a in parts and b in parts and parts.index(a) < parts.index(b) for a, b in _SECRET_PAIRS)


@rule("LPI014", severity="error", lesson="06_safer_images.ipynb#keep-secrets-out", family="security")
def no_secrets_in_dockerfile(ctx: Context) -> Iterator[Flag]:
    """Keep secrets out of ARG and ENV.

    Why it matters:
        ENV values are stored in the image and ARG values in its build history: anyone who can
        pull the image reads them with docker inspect or docker history. A value written in the
        Dockerfile is also in your git history for good.
    How to fix:
        Pass secrets at run time (docker run -e or --env-file, or a secrets manager) and rotate
        any value that was committed. Keep only non-secret settings in ENV.
    """
    for instruction in ctx.dockerfile.instructions:
        if instruction.keyword not in {"ARG", "ENV"}:
            continue
        for name, value in instruction.pairs():
            credentials = _URL_CREDENTIALS_RE.search(value or "")
            if credentials and not _REFERENCE_RE.match(credentials.group(1)):
                yield Flag(instruction.line, f"{instruction.keyword} {name} holds a URL with a password in it; it is stored in the image for anyone to read.")
                continue
            if not is_secret_name(name):
                continue
            if value is None or value == "":
                if instruction.keyword == "ARG":
                    yield Flag(instruction.line, f"ARG {name} looks like a secret: values passed with --build-arg are recorded in the image history (BuildKit's SecretsUsedInArgOrEnv).", severity="info", hint="Give the app its secrets when it runs (docker run -e / --env-file), not when the image is built.")
                continue
            if _REFERENCE_RE.match(value):
                continue
            yield Flag(instruction.line, f"{instruction.keyword} {name} sets a literal secret; it is stored in the image (docker inspect / docker history show it) and in your git history (BuildKit's SecretsUsedInArgOrEnv).")
