"""lesson.your_turn on the real engine: a tiny Dockerfile for lesson 6, as the learner leaves it and
fixed, builds as lpi-lesson/your-turn-06 and the comment follows the fix. The lesson's reference
image (the production variant) comes from the cache when lesson 6 ran; otherwise it is built once."""

from __future__ import annotations

import pytest

from checker import engine, lesson
from checker import settings as course_settings
from checker.lesson.builds import KEEP_VALUE

pytestmark = [pytest.mark.docker, pytest.mark.timeout(1800)]


def test_when_the_learner_fixes_root_and_shell_form_then_the_built_images_comment_says_fixed(engine_ready):
    slim = engine_ready.slim_image
    tag = "lpi-lesson/your-turn-06:latest"
    try:
        unfixed = lesson.your_turn(f"FROM {slim}\nCMD python -V\n", lesson=6, show=False)
        assert unfixed.image is not None and unfixed.image.ok and unfixed.image.tag == tag
        assert engine.image_info(tag).labels.get(course_settings.LABEL_KEEP) == KEEP_VALUE, "kept and cleaned like every lesson image"
        assert not unfixed.fixed and str(unfixed).startswith("**This still has the fault**")
        assert "LPI012 (line 1)" in str(unfixed) and "LPI011 (line 2)" in str(unfixed)
        size_line = next(line for line in unfixed.review.lines if line.startswith("Size: "))
        assert "of the lesson's `lpi-lesson/production:latest`" in size_line

        fixed = lesson.your_turn(f'FROM {slim}\nUSER 10001\nCMD ["python", "-V"]\n', lesson=6, show=False)
        assert fixed.image is not None and fixed.image.ok and fixed.fixed
        assert str(fixed).startswith("**Fixed**") and "LPI012" not in str(fixed) and "Hint:" not in str(fixed)
        assert fixed.image.size_bytes < fixed.reference.size_bytes, "the bare slim image is smaller than production"
    finally:
        if engine.image_exists(tag):
            engine.remove_image(tag, force=True)
