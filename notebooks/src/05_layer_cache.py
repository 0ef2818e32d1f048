# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 5 · The layer cache
#
# | | |
# |---|---|
# | **Time** | about 20 minutes (one rebuild deliberately takes as long as a full install) |
# | **Objectives** | State the cache rule. Predict which steps of a build will run again after a change. Measure, step by step, a rebuild with the instructions in the right order and in the wrong order. |
# | **Key points** | A step is reused when its parent layer is the same and its instruction is the same (for `COPY`, the copied files' contents too). After the first step that cannot be reused, every later step in that stage runs again. So copy what changes rarely (`requirements.txt`) before what changes often (your code). |

# %%
import uuid

from checker import lesson

settings = lesson.settings

# %% [markdown]
# <a id="dependencies-before-source"></a>
# ## The rule
#
# For every step, the builder looks for a result it already has of **the same instruction** run on
# **the same parent** (the layer it would build on). For `COPY` and `ADD` it also compares a
# checksum of the files being copied. If it finds one, it reuses it without running anything:
# BuildKit prints `#12 CACHED` under the step's name, the classic builder `---> Using cache`. If
# not, it runs the step, and from then on every later step of that stage has a new parent, so none
# of them can be found in the cache either: they all run.
#
# Two Dockerfiles, identical except for the order of two lines in the builder stage:

# %%
import difflib

right_text = lesson.variant("multi-stage").dockerfile()
wrong_text = lesson.variant("wrong-order").dockerfile()
print("".join(line for line in difflib.unified_diff(right_text.splitlines(True), wrong_text.splitlines(True),
                                                     "right order (lesson 2)", "wrong order", n=2)))

# %% [markdown]
# Both build the same image. First, each one unchanged, so that the cache holds all their layers
# (from earlier lessons or from a previous run, this is quick; the wrong order's first build
# compiles psycopg2 once):

# %%
right = lesson.build_variant("multi-stage")
wrong = lesson.build_variant("wrong-order")

# %% jupyter={"source_hidden": true}
assert right.ok and wrong.ok
assert abs(right.size_bytes - wrong.size_bytes) < 0.05 * right.size_bytes, "the order does not change what ships"

# %% [markdown]
# ## Change one line of code, rebuild
#
# Now the everyday situation: you edit `main.py` and rebuild. We append a comment with a fresh
# random marker, so this edit is new even when you run the notebook twice, and build each order
# again from the edited copy. (These two builds are throwaways: their new layers are removed
# afterwards, the cached ones stay.)

# %%
edit = {"main.py": f"\n# edited for lesson 5 ({uuid.uuid4().hex[:8]})\n"}
right_after = lesson.build("multi-stage", right_text, label="right order, main.py edited",
                           base_ref=settings.slim_image, edits=edit, throwaway=True)
wrong_after = lesson.build("wrong-order", wrong_text, label="wrong order, main.py edited",
                           base_ref=settings.slim_image, edits=edit, throwaway=True)
unchanged = lesson.build("multi-stage", right_text, label="right order, nothing edited",
                         base_ref=settings.slim_image, throwaway=True)

# %% jupyter={"source_hidden": true}
assert right_after.ok and wrong_after.ok and unchanged.ok
assert right_after.step("pip install").cached, "right order: the dependency install comes from the cache"
assert not right_after.step("COPY . .").cached, "right order: the edited source is copied again"
assert not wrong_after.step("pip install").cached, "wrong order: the edit invalidates the install, which runs again"
assert all(step.cached for step in unchanged.steps if not step.instruction.upper().startswith(("FROM", "ARG"))), \
    "with nothing edited, every step comes from the cache"

# %% [markdown]
# Step by step, what came from the cache and how long each step took. The first column names each
# step as `docker build` printed it here (the builder is in the caption):

# %%
display(right_after.steps_table())
display(wrong_after.steps_table())
assert sum(s.cached for s in right_after.steps) > sum(s.cached for s in wrong_after.steps)

# %%
lesson.rebuild_times([(image.label, image.result) for image in (unchanged, right_after, wrong_after)],
                     title="Rebuild after editing main.py: where the seconds go")

# %%
install = wrong_after.step("pip install").seconds
print(f"right order: {lesson.human_seconds(right_after.seconds)}; wrong order: {lesson.human_seconds(wrong_after.seconds)}, "
      f"of which {lesson.human_seconds(install)} reinstalling the dependencies")
assert wrong_after.seconds > right_after.seconds, "the wrong order makes every code change slower to build"
assert install > right_after.step("pip install").seconds

# %%
for image in (right_after, wrong_after, unchanged):
    lesson.discard(image)

# %% [markdown]
# Why did the wrong order re-run the install? In its builder stage `COPY . .` comes before
# `pip install`. The edited `main.py` changes that `COPY`'s checksum, so its layer is new; the
# `pip install` step now has a new parent, and the cache cannot help. With the right order,
# `pip install` only depends on `requirements.txt`, which did not change.
#
# Notice also what happens *after* a miss: in the runtime stage, `COPY . .` runs again, and so
# does every step behind it (with the classic builder even `CMD` and the labels count as steps).
# They cost almost nothing; the lesson is to keep the *expensive* steps before the lines that
# change often.

# %% [markdown]
# <a id="the-dockerignore-file"></a>
# ## The `.dockerignore` file
#
# `COPY . .` checksums every file of the build context, so *any* change in it, even to a file
# the app never reads, makes that step miss the cache. A `.dockerignore` next to the Dockerfile
# lists what the engine never receives: `.git`, local virtualenvs, `__pycache__` folders, and
# files like the Dockerfile and the README whose edits should not rebuild anything. Patterns
# are matched from the top of the context, so a plain `__pycache__` excludes only the top-level
# folder; write `**/__pycache__` for the ones deeper down. The reverse mistake fails loudly: a
# file the Dockerfile copies by name (say `requirements.txt`) must not match a pattern, or the
# `COPY` fails with "not found" although the file is on your disk; a `!requirements.txt` line
# after the pattern lets it back in. [Lesson 6](06_safer_images.ipynb) measures what the file
# keeps out of the context, secrets included.

# %% [markdown]
# ## Your turn: the cache explorer
#
# Pick an order and a file to edit, tick the steps you expect to **run again**, then press the
# button. A real build checks your prediction step by step. (Editing `requirements.txt`
# reinstalls the dependencies: that build takes as long as a first one.)
#
# Things to try: `README.md` is listed in the app's `.dockerignore`. What does editing it do?

# %%
explorer = lesson.CacheExplorer()
explorer

# %% [markdown]
# <a id="clean-up-in-the-same-layer"></a>
# ## Clean up in the same layer
#
# Each instruction stores the files it changed as a new layer on top of its parent, and a later
# layer can hide files but never take them out of an earlier one. A file that one `RUN` creates and
# a later `RUN` deletes is gone from the container's view, but its bytes stay in the earlier layer,
# which every pull still downloads. So delete temporary files in the same `RUN` that made them: the
# course's Dockerfiles end their `apt-get` line with `&& rm -rf /var/lib/apt/lists/*` (on Alpine,
# `apk add --no-cache` does the same), or leave the mess in a build stage that never ships.

# %% [markdown]
# <a id="no-pip-cache-in-the-image"></a>
# ## No pip cache in the image
#
# Mind the two caches with similar names. Docker's layer cache lives on the build host and never
# enters the image. pip's cache (`~/.cache/pip`, the downloads and the wheels it built) is written
# by the `RUN pip install` step, so it lands in that layer and ships. Nobody reinstalls inside a
# running container, so that cache is dead weight: install with `pip install --no-cache-dir` (or
# set `PIP_NO_CACHE_DIR=1`), as every Dockerfile you have built so far does. In a multi-stage
# build it matters less, because the cache stays behind in the builder;
# [lesson 7](07_smaller_and_faster.ipynb) measures both cases.

# %% [markdown]
# <a id="your-turn-dockerfile"></a>
# ## Your turn: put the steps in order
#
# The Dockerfile below still has this lesson's fault. It is the `wrong-order` variant: it works, and
# every edit to the code reinstalls the dependencies. Edit the text between the quotes, then run the
# next cell: it builds your version as `lpi-lesson/your-turn-05` (kept as a cache like the other
# lesson images; `python -m checker clean` removes it), measures it against the lesson's best image
# and tells you what the course checks find. Run as it is, it tells you the fault is still there;
# fix it and run the cell again to see the comment change.

# %%
my_dockerfile = r"""
ARG PYTHON_VERSION=3.13
FROM python:${PYTHON_VERSION}-slim AS builder
RUN apt-get update \
    && apt-get install -y gcc libpq-dev \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -r requirements.txt

FROM python:${PYTHON_VERSION}-slim
RUN apt-get update \
    && apt-get install -y libpq5 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=builder /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"
WORKDIR /app
COPY . .
CMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000"]
"""

# %%
turn = lesson.your_turn(my_dockerfile, lesson=5)
turn

# %% jupyter={"source_hidden": true}
# Whatever the text says now, the comment agrees with the course checks (run as shipped: the fault is found).
assert turn.fixed != ("still has the fault" in str(turn) or "failed" in str(turn) or "does not parse" in str(turn))

# %% [markdown]
# ## Self-check

# %%
lesson.self_check("requirements-edit")

# %%
lesson.self_check("stale-apt-layer")

# %% [markdown]
# ## Recap
#
# * A step is reused when its parent and its instruction (and copied files) are unchanged; after
#   the first miss, the rest of the stage runs.
# * Measured here: with `requirements.txt` copied and installed before the source, a code edit
#   rebuilds in seconds; with the source first, the same edit re-runs the whole install.
# * Files excluded by `.dockerignore` never reach the build, so editing them changes nothing.
# * Layers only add: delete temporary files (apt lists, pip's cache) in the `RUN` that made them.
# * The cache compares text, not freshness: schedule uncached rebuilds for updates.
#
# **Exercise:** [`05-cache-order`](../exercises/05-cache-order/05-cache-order.ipynb).
# **Next:** [6 · Safer images](06_safer_images.ipynb).
# **On one page:** the [quick reference](QUICK_REFERENCE.md) sums up every habit of the course.
