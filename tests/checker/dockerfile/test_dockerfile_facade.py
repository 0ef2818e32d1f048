"""``checker.dockerfile`` keeps the names its callers imported before it became a package."""

from __future__ import annotations

import checker.dockerfile as dockerfile


def test_when_callers_import_from_the_package_then_every_former_name_is_there():
    former = {
        "ArgDef", "Command", "Dockerfile", "Heredoc", "ImageRef", "Instruction", "INSTRUCTIONS", "MAX_BYTES",
        "PackageInstall", "ParseError", "Stage", "package_installs", "parse", "parse_image_ref",
        "split_commands", "substitute",
    }
    assert former <= set(dockerfile.__all__)
    assert all(hasattr(dockerfile, name) for name in former)
    assert callable(dockerfile.parse) and dockerfile.MAX_BYTES == 1024 * 1024
