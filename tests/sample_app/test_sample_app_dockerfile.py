"""Where the course says Kubernetes' runAsNonRoot can verify its user, the Dockerfile names the uid.

The kubelet cannot tell from a user *name* that it is not root, so under ``runAsNonRoot`` it
refuses to start a container whose image says ``USER app`` (unless the pod sets ``runAsUser``).
No engine needed: these read the Dockerfiles' text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from checker.dockerfile import parse
from checker.lesson.variants import variant
from sample_app_support import SAMPLE_APP_DIR

ROOT = SAMPLE_APP_DIR.parent


def final_user_and_created_uid(text: str) -> tuple[str, str]:
    """(the last USER of the final stage, the uid its ``useradd --uid`` gave) of a Dockerfile's text."""
    final = parse(text).stages[-1]
    users = [i.args.strip() for i in final.instructions if i.keyword == "USER"]
    created = [m.group(1) for i in final.instructions if i.keyword == "RUN"
               for m in [re.search(r"useradd\b.*--uid[ =](\d+)", i.args)] if m]
    assert users and created, "the final stage creates a user and switches to it"
    return users[-1], created[-1]


DOCKERFILES = {
    "sample_app/Dockerfile": lambda: (SAMPLE_APP_DIR / "Dockerfile").read_text(),
    "lesson 6's production variant": lambda: variant("production").dockerfile(),
    "solutions/06-production-ready/Dockerfile": lambda: (ROOT / "solutions/06-production-ready/Dockerfile").read_text(),
}


@pytest.mark.parametrize("name", DOCKERFILES)
def test_a_dockerfile_the_course_calls_kubernetes_ready_names_its_user_by_the_uid_it_created(name):
    user, uid = final_user_and_created_uid(DOCKERFILES[name]())
    assert user.split(":")[0].isdigit(), f"{name}: USER {user} is a name; runAsNonRoot can only verify a number"
    assert user.split(":")[0] == uid != "0"
