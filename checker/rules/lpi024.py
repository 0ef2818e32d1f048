"""LPI024: EXPOSE lists container ports (``8000``, ``8000/tcp``), not host bindings."""

from __future__ import annotations

import re
from collections.abc import Iterator

from checker.rules.base import Context, Flag, rule

_PORT = re.compile(r"^(?P<ports>\d+(?:-\d+)?|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)(?:/(?P<proto>[A-Za-z]+))?$")


@rule("LPI024", severity="warning", lesson="06_safer_images.ipynb#exec-form-cmd", family="syntax")
def expose_format(ctx: Context) -> Iterator[Flag]:
    """EXPOSE names container ports in lower-case protocols.

    Why it matters:
        EXPOSE documents the ports the container listens on; which host address and port they
        are published to is decided by docker run -p, never by the image. Docker ignores an IP
        or host port in EXPOSE today and has announced it will become an error, and it expects
        the protocol in lower case (tcp, udp, sctp).
    How to fix:
        Write the container port only, with an optional lower-case protocol: EXPOSE 8000 or
        EXPOSE 8000/tcp. Publish it at run time with docker run -p 127.0.0.1:8000:8000.
    """
    for instruction in ctx.dockerfile.instructions:
        if instruction.keyword != "EXPOSE":
            continue
        for word in instruction.args.split():
            match = _PORT.match(word)
            if match is None and ":" in word:
                port = word.rsplit(":", 1)[1]
                yield Flag(instruction.line,
                           f"EXPOSE {word} binds a host address or port, which an image cannot do "
                           f"(BuildKit's ExposeInvalidFormat); write EXPOSE {port.lower()} and publish with docker run -p.")
            elif match is not None and match.group("proto") and match.group("proto") != match.group("proto").lower():
                yield Flag(instruction.line,
                           f"EXPOSE {word}: the protocol is written in lower case (BuildKit's ExposeProtoCasing); "
                           f"write EXPOSE {match.group('ports')}/{match.group('proto').lower()}.",
                           severity="style")
