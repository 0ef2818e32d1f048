"""The dynamic checks: what the built image proves, judged against a rubric's thresholds.

One module per kind of evidence judged; importing this package imports them all, in the order
the checks are listed (in the docs, the rubric's error messages and :func:`checker.dynamic_checks`):

* :mod:`.build` -- the build itself (``builds``);
* :mod:`.size` -- the image's size (``image_size``, ``wasted_bytes``, ``efficiency``);
* :mod:`.filesystem` -- the final filesystem (``no_compilers``, ``no_headers``, ``no_pip_cache``);
* :mod:`.runtime` -- the image's own interpreter (``native_libs``, ``app_imports``, ``same_python``);
* :mod:`.health` -- the running container (``health``);
* :mod:`.cache` -- the rebuild after a source change (``cache_reuse``);
* :mod:`.exercise` -- checks the exercises add (``pyc_kept``, ``no_pip_in_app_env``);
* :mod:`.image` -- the image's config and shipped files (``image_user``, ``no_secret_files``,
  ``no_new_setuid``, ``healthcheck``);
* :mod:`.declarative` -- the kinds a teacher writes in a rubric (``file_exists``, ``file_absent``,
  ``file_contains``, ``metadata``, ``command``).

The machinery (:class:`Evidence`, :class:`Outcome`, :func:`dynamic_check`, the registry) is in
:mod:`.base`. A test proves every module of the package is imported here.
"""

from __future__ import annotations

from checker.checks.base import (EVIDENCE, REGISTRY, CacheFacts, DynamicCheck, Evidence, Outcome, SizeReference,
                                 all_checks, dynamic_check, human_bytes)
from checker.checks.build import builds
from checker.checks.size import efficiency, image_size, wasted_bytes
from checker.checks.filesystem import interpreter_include_dirs, no_compilers, no_headers, no_pip_cache
from checker.checks.runtime import DEBIAN_PACKAGES, app_imports, native_libs, package_hint, same_python
from checker.checks.health import health
from checker.checks.cache import cache_reuse
from checker.checks.exercise import no_pip_in_app_env, pyc_kept
from checker.checks.image import healthcheck, image_user, no_new_setuid, no_secret_files
from checker.checks.declarative import command, file_absent, file_contains, file_exists, metadata

__all__ = [
    "DEBIAN_PACKAGES", "EVIDENCE", "REGISTRY", "CacheFacts", "DynamicCheck", "Evidence", "Outcome", "SizeReference",
    "all_checks", "app_imports", "builds", "cache_reuse", "command", "file_absent", "file_contains", "file_exists",
    "healthcheck", "image_user", "metadata", "no_new_setuid", "no_secret_files", "dynamic_check", "health", "human_bytes", "image_size",
    "interpreter_include_dirs", "native_libs", "no_compilers", "no_headers", "no_pip_cache", "no_pip_in_app_env",
    "efficiency", "package_hint", "pyc_kept", "same_python", "wasted_bytes",
]
