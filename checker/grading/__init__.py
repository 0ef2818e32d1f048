"""Grade one Dockerfile: the never-raising pipeline and the pieces it is made of.

* :mod:`.pipeline` -- :func:`grade`: lint, stage, build, gather the evidence, judge, score;
* :mod:`.run` -- run ids and labels, the SIGTERM-safe context, clean-up of what a run created;
* :mod:`.cache_probe` -- the rebuild after a source-only change (install steps from the model);
* :mod:`.scoring` -- the rubric's points from the outcomes and the lint result;
* :mod:`.cache` -- the grading build cache: which built images are kept, and the budget they keep to;
* :mod:`.summary` -- the report's views of the engine, the base images, the build and the image.

``from checker import grading; grading.grade(...)`` and ``checker.grade(...)`` are the same call.
"""

from .cache_probe import install_step_numbers, is_install_step
from .pipeline import LABEL_CACHE_KEY, GradingError, _score, grade
from .run import Run, cleanup, interruptible, new_run_id, repository_for

__all__ = ["GradingError", "LABEL_CACHE_KEY", "Run", "cleanup", "grade", "install_step_numbers", "interruptible",
           "is_install_step", "new_run_id", "repository_for", "_score"]
