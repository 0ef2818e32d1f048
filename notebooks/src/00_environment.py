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
# # 0 · Your build environment
#
# | | |
# |---|---|
# | **Time** | about 5 minutes |
# | **Objectives** | Check that a Docker engine answers and which builder it runs. See which base images this machine has, and whether they are the official ones or stand-ins. Know what the lessons will need. |
# | **Key points** | Every number in this course is measured live on the engine you are using, so yours may differ from the article's and from your neighbour's. The lessons and a grade build the way your own `docker build` would here: with BuildKit where the engine offers it, else with the classic builder. Some images here are honest *stand-ins* for the official ones, and `python:3.13-alpine` may be missing. |
#
# Nothing in this notebook builds or changes anything; it only looks.

# %% [markdown]
# ## The engine
#
# The course talks to Docker through one small library, `checker`. The lessons import its
# notebook helpers as `lesson`; they never call Docker directly, so the same code works on your
# laptop and in the course's CI.

# %%
from checker import engine, lesson

env = lesson.environment()
print(f"Docker engine {env.engine.server_version} (API {env.engine.api_version}), host: {env.engine.operating_system}")
store = env.engine.image_store + (f" (snapshotter {env.engine.snapshotter})" if env.engine.snapshotter else "")
print(f"image store: {store}")
print(f"builders this engine offers: {lesson.builders_offered(env.engine.builders)}")
grade_builder = engine.choose_builder(lesson.settings).name  # what `python -m checker grade` picks here
print(f"the lessons and a grade (Check my Dockerfile, `python -m checker grade`) build with: {grade_builder}")
print(lesson.terminal().advice(grade_builder))

# %% [markdown]
# Measured, not assumed: the version, the image store (`docker info` shows it as *Storage Driver*,
# and the containerd image store as `driver-type: io.containerd.snapshotter.v1`) and the builders
# come from the engine's own answers. On Docker Desktop and Engine 29 the image store is usually
# `containerd`; here it may be `overlay2`. The course measures sizes the same way on both.

# %% jupyter={"source_hidden": true}
assert env.engine.server_version not in {"", "?"}, "the engine did not report its version"
assert env.engine.image_store not in {"", "?"}, "the engine did not report its image store"
assert "classic" in env.engine.builders, "every engine still runs the classic builder (deprecated for Linux images)"
assert env.engine.buildkit == ("buildkit" in env.engine.builders)
assert grade_builder in env.engine.builders, "a grade uses a builder this engine offers"
assert grade_builder == "classic" or env.engine.buildkit, "BuildKit only where the engine offers it"

# %% [markdown]
# <a id="the-classic-builder"></a>
# ### Why the builder matters
#
# Docker has two builders. **BuildKit** is the one `docker build` uses since Docker Engine 23.0,
# on Linux as in Docker Desktop. It works out which stages the image needs (and skips the others),
# builds independent stages side by side, and adds cache and secret mounts (`RUN --mount=...`) and
# heredocs. In a terminal it prints each step as `#8 [builder 4/6] RUN pip install ...`: `#8`
# numbers the build's operations, `builder 4/6` is the fourth of the six steps of stage `builder`.
# When it reuses a result from an earlier build it prints `#8 CACHED`. The **classic builder**,
# which BuildKit replaced and which engines still run (deprecated for Linux images), runs the
# instructions one at a time, prints `Step 7/14 : RUN ...`, says `---> Using cache` when it reuses
# a layer, and keeps an image after every step.
#
# The lessons and a grade of your Dockerfile build the way `docker build` does on this engine: with
# BuildKit where it offers it, else with the classic builder. The second line from the end above
# says which one that is here; every build's step table names it, and every report names the
# builder that built the image. Your terminal's `docker build` does the same only if its CLI finds
# the buildx plugin (Docker Desktop and Docker's own packages include it): the last line above
# measured that on this machine, and says how to add the plugin if it is missing. Where only the
# classic builder is offered (older engines such as Docker 20.10 build with it by default), the
# lessons say so wherever it changes what you see: the cache
# lines read `---> Using cache`, and `RUN --mount` cannot be built. Everything else you learn
# applies to both builders.
#
# If the builder line says `classic`, BuildKit-only syntax (`RUN --mount`, heredocs, `COPY --link` or
# `--chmod`) cannot be built here, so the checker does not grade such a Dockerfile on this engine:
# it says so, names the line, and tells you where it can be graded (an engine with BuildKit, such
# as the course's `modern-containerd`: `python -m checker engines list`). The classic way is a
# `RUN` with its commands joined by `&&`, `pip install --no-cache-dir` instead of a cache mount,
# and `COPY --chown` followed by a `RUN chmod`.

# %% [markdown]
# ## The base images
#
# The lessons build on `python:3.13` (the "full" image, Debian with compilers and headers) and
# `python:3.13-slim` (Debian with only what Python needs to run). Where no registry is reachable,
# the course *provisions stand-ins*: Debian packages plus CPython compiled from source, built to
# match the official images' layout. A stand-in is labelled as one, so you always know which you
# are measuring.

# %%
lesson.base_images(env)

# %%
settings = lesson.settings
slim, full, alpine = env.image(settings.slim_image), env.image(settings.full_image), env.image(settings.alpine_image)
assert slim.available and full.available, "run `python -m checker images` (or `make setup`) to get the base images"
for base in (slim, full):
    if base.standin:
        assert "Stand-in" in base.detail, f"{base.ref} is a stand-in but does not say so"
assert full.size_bytes > slim.size_bytes, "the full image carries compilers and headers; slim does not"

# %% [markdown]
# A stand-in carries labels that say how it was made. Here they are for the two Python images:

# %%
from checker import engine

for base in (slim, full):
    labels = engine.image_info(base.ref).labels
    print(base.ref, "(stand-in)" if base.standin else "(official image)")
    for key in sorted(labels):
        if key.startswith(("org.lean-python-images.", "org.opencontainers.")):
            print(f"    {key} = {lesson.without_host_files(labels[key])}")
    assert (labels.get("org.lean-python-images.standin") == "true") == base.standin, "stand-ins are labelled as such"

# %% [markdown]
# ### And Alpine?
#
# Lesson 4 compares Debian-based slim images with `python:3.13-alpine`. Alpine's packages come
# from Alpine's own mirrors; where those cannot be reached (the course's CI, for one) the image
# can be neither pulled nor provisioned. The lesson then says so and skips that one build.

# %%
if alpine.available:
    print(f"{alpine.ref} is here ({'stand-in' if alpine.standin else 'official'}): lesson 4 will build on it.")
else:
    print(f"{alpine.ref} is NOT available on this engine. Lesson 4 explains Alpine with live data from PyPI,")
    print("and skips the one build that needs the image. (On a machine with Docker Hub access,")
    print("`python -m checker images` pulls it, and the lesson then builds it too.)")

# %% jupyter={"source_hidden": true}
assert alpine.available == engine.image_exists(settings.alpine_image)

# %% [markdown]
# ## Can a container run?
#
# The lessons look *inside* images (is `gcc` there? how many header files?) by running short
# shell snippets in them with `lesson.run_in(image, script)`. One quick try on the slim image:

# %%
probe = lesson.run_in(settings.slim_image, "python --version; id -un")
print(probe.output)

# %% jupyter={"source_hidden": true}
assert probe.ok, probe.error
assert probe.lines()[0].startswith(f"Python {settings.python_version}"), probe.output

# %% [markdown]
# ## What the lessons need
#
# * **This engine**, reachable as above. Builds use the host network (`--network host`), so the
#   package mirrors must be reachable from this machine.
# * **The base images** above. Everything else is built by the lessons.
# * **Disk space** for the lesson images: each lesson tags what it builds as
#   `lpi-lesson/<name>:latest` and *keeps* it, so re-running a lesson (or the next lesson reusing
#   the same first steps) comes from the cache in seconds. `python -m checker clean` removes them.
# * **Time**: the first run compiles psycopg2 several times (in different Dockerfiles); each
#   lesson shows a progress bar while it builds. A second run is mostly cache hits.
#
# The lessons build these variants of the sample app's image:

# %%
lesson.Table(["name", "lesson", "what it is"],
             [{"name": v.name, "lesson": v.lesson, "what it is": v.summary} for v in lesson.VARIANTS.values()])

# %% [markdown]
# ## Self-check

# %%
lesson.self_check("using-cache")

# %% [markdown]
# ## Recap
#
# * The engine answers. The lessons and a grade build with the builder printed above, the one your
#   own `docker build` uses here: BuildKit where this engine offers it, else the classic builder.
# * The Python base images are present; stand-ins say so in their labels. Alpine may be missing,
#   and the lessons say so instead of failing.
# * Lesson images are kept as a build cache; `python -m checker clean` removes them.
#
# **Next:** [1 · The single-stage problem](01_single_stage_problem.ipynb). The exercises live in
# [`../exercises/`](../exercises/README.md); the first is [`02-multi-stage`](../exercises/02-multi-stage/02-multi-stage.ipynb).
# **On one page:** the [quick reference](QUICK_REFERENCE.md) sums up every habit of the course.
