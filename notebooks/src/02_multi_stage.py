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
# # 2 · Multi-stage builds
#
# | | |
# |---|---|
# | **Time** | about 20 minutes (two builds of a minute or two the first time) |
# | **Objectives** | Split a Dockerfile into a *builder* stage and a *runtime* stage. Copy only finished files across with `COPY --from`. Install only the run-time library (`libpq5`) in the final stage. Measure the result against lesson 1 and against the article's published table. |
# | **Key points** | Each `FROM` starts a new stage from a fresh image; only the last stage becomes the image you ship. `COPY --from=<stage>` is the only way files cross. Build-time packages (`-dev`, `gcc`) stay behind; their run-time halves (`libpq5`) must be installed again. |
#
# Prerequisite: [lesson 1](01_single_stage_problem.ipynb) (its image is rebuilt from cache here if needed).

# %%
from checker import engine, lesson

settings = lesson.settings

# %% [markdown]
# <a id="the-multi-stage-pattern"></a>
# ## Two stages
#
# The idea: let one stage do the dirty work with every tool it needs, then start over from a
# clean base and bring along only the result.
#
# * The **builder** stage starts from `python:3.13-slim`, installs `gcc` and `libpq-dev`, creates
#   a virtual environment in `/opt/venv` and installs the requirements into it. psycopg2 gets
#   compiled here.
# * The **runtime** stage starts from `python:3.13-slim` *again*. It installs `libpq5`, the
#   shared library psycopg2 loads at run time, copies `/opt/venv` from the builder, and adds the
#   app's code.
#
# (Why a virtual environment? Because it puts everything pip installs in one folder, which makes
# the copy a single line. Lesson 3 measures the alternatives. And why `3.13-slim` and not a tag
# that also names the Debian release, such as `3.13-slim-trixie`, or a digest? Only because the
# course's stand-in images are tagged that way; [lesson 4](04_slim_vs_alpine.ipynb#debian-codename-tags)
# shows why your own Dockerfiles should name the release.)

# %%
lesson.dockerfile("multi-stage")

# %% [markdown]
# Things to notice:
#
# * `AS builder` names the first stage; `COPY --from=builder` refers to it by that name.
# * `ARG PYTHON_VERSION` before the first `FROM` is visible to every `FROM` line, so both stages
#   use the same Python, installed at the same path. A virtualenv only works with the
#   interpreter it was made with, so this matters.
# * `libpq-dev` = headers, the static library and `pg_config`, needed to *compile*. `libpq5` = the
#   shared library alone, needed to *run*. Debian splits most C libraries this way.
# * `ENV PATH` appears in both stages: environment variables do not cross stages either.

# %% [markdown]
# <a id="naming-stages"></a>
# ### Naming stages
#
# `COPY --from` accepts a stage's name, its number (`--from=0`) or an image reference. Prefer the
# name: numbers shift when someone adds a stage, and a name says what the stage is for. Spell it
# exactly as in `FROM ... AS builder`, and copy only from a stage written *above* the line: a
# value that matches no earlier stage is taken as an image name, so a typo such as
# `--from=buidler` makes Docker try to pull an image called `buidler`, and the build stops with
# a pull error that does not mention your stages at all.

# %% [markdown]
# Before you build it, predict: against lesson 1's single-stage image on the full base, how much
# will this Dockerfile save? Lock in an answer; the comparison below measures it.

# %%
share_guess = lesson.prediction("share-removed")
share_guess

# %%
multi = lesson.build_variant("multi-stage")

# %% jupyter={"source_hidden": true}
assert multi.ok, multi.error_tail()
assert not any("gcc" in layer.created_by for layer in multi.info.layers), \
    "the builder's layers are not in the final image"

# %% [markdown]
# For comparison we need lesson 1's image and one more: the *single-stage* build on the *slim*
# base (build tools installed into the slim image, nothing removed). Both come from the cache if
# they were built before.

# %%
full = lesson.build_variant("full-single")
slim_single = lesson.build_variant("slim-single")

# %% jupyter={"source_hidden": true}
assert full.ok and slim_single.ok

# %% [markdown]
# ## The comparison

# %%
built = {"full-single": full, "slim-single": slim_single, "multi-stage": multi}
published = {image.label: lesson.article.published(name).size_bytes for name, image in built.items()}
lesson.size_bars([(image.label, image.size_bytes) for image in built.values()], published,
                 title="Image size: measured here vs the article's figures")

# %% jupyter={"source_hidden": true}
assert multi.size_bytes <= full.size_bytes / 4, "multi-stage is at most a quarter of the full single-stage image"
assert multi.size_bytes < slim_single.size_bytes < full.size_bytes, "the slim single-stage image sits between"

# %% [markdown]
# The article's comparison table, with our measurements beside its figures:

# %%
table = lesson.comparison_table(built)
table

# %%
reduction = 1 - multi.size_bytes / full.size_bytes
print(f"multi-stage removed {reduction:.0%} of the full single-stage image "
      f"(the article reports {lesson.article.REDUCTION_PERCENT}%)")
assert table.row("python:3.12-slim, multi-stage with venv")["measured here"] == multi.size_bytes
assert reduction >= 0.75

# %% [markdown]
# Your prediction, against the measurement:

# %%
share_guess.reveal(reduction)

# %% [markdown]
# **Why our figures differ from the article's.** The article measured Python 3.12 official
# images with the package versions of its day; we measure Python 3.13 and today's pins. If your
# base images are the course's *stand-ins* (lesson 0 tells you), they were built from Debian's
# packages and CPython's source to match the official layout, but they are not byte-for-byte the
# official images: the full stand-in, in particular, approximates the official compiler and
# library set. The *shape* of the result is what carries over: the full single-stage image is
# several times the multi-stage one, and the slim single-stage image sits between them. The
# Alpine row waits for [lesson 4](04_slim_vs_alpine.ipynb).

# %% [markdown]
# <a id="three-sizes"></a>
# ### One image, three sizes
#
# "How big is this image?" has three honest answers, and the number you read depends on which
# one your tool shows:
#
# * **Uncompressed size**: the layers unpacked, added up. The course measures this one (the
#   engine's `Size`), and it is what `docker images` prints on an engine with the classic image
#   store (storage driver `overlay2`, as lesson 0 reports).
# * **Compressed content size**: the layers as a registry stores and sends them, gzip- or
#   zstd-compressed: what Docker Hub lists, and what a pull downloads. Typically well under the
#   uncompressed size.
# * **Disk usage in the containerd image store**: that store keeps both the compressed layers
#   and their unpacked copies, so its `docker images` figure is roughly the sum of the two above
#   (`docker image ls --tree` shows it as DISK USAGE beside CONTENT SIZE). It is the default for
#   fresh installs of Docker Desktop 4.34 and of Docker Engine 29.0 and later
#   ([Docker docs: containerd image store](https://docs.docker.com/engine/storage/containerd/)).
#
# So the same image can read about twice as large on a new laptop as in this course, and smaller
# again on Docker Hub. Compare like with like: the *ratios* between images hold in all three.
#
# <a id="the-articles-errata"></a>
# ### The article's own slips
#
# Three things in the article do not hold together, so you do not trip over them:
#
# * It gives three sizes for its single-stage image: 800 MB in the introduction, 1.1 GB under
#   the Dockerfile, and 1.2 GB in the comparison table, without saying which measure or which
#   build each one is. The charts above compare with the table's figure.
# * Its first multi-stage listing copies with `COPY /opt/venv /opt/venv`, without
#   `--from=builder`. That copies from the build *context*, not from the builder, and the build
#   stops with "COPY failed: file not found in build context". The complete listing at the end
#   of the article has `--from=builder`, as ours does.
# * It calls the multi-stage slim build a reduction "with zero compatibility risk". The risk is
#   smaller, not zero: the runtime stage must install the run-time libraries the builder had for
#   free, and a stage that forgets `libpq5` builds fine and fails at import, as the demo below
#   shows. Builder and runtime must also share the same Python at the same path (lesson 3).

# %% [markdown]
# ## Where the bytes went
#
# The same three images, each bar split into its layers and coloured by what they hold:

# %%
stacks = [(image.label, lesson.parts_of(name, image.info)) for name, image in built.items()]
lesson.layer_stack(stacks, title="Layers by what they hold")

# %%
from checker.lesson.charts import category

multi_kinds = {category(part) for part in dict(stacks)[multi.label]}
slim_kinds = {category(part) for part in dict(stacks)[slim_single.label]}
assert "compilers and headers" in slim_kinds, "the slim single-stage image installs the toolchain itself"
assert "compilers and headers" not in multi_kinds, "the multi-stage image has no toolchain layer"

# %% [markdown]
# <a id="runtime-libraries-only"></a>
# ## Inside the runtime image
#
# What is, and is not, in the image we would ship? Its stage installed `libpq5`, not
# `libpq-dev`: the shared library psycopg2 loads, without the headers it was compiled against.

# %%
inside = lesson.run_in(multi.tag, """
echo "gcc: $(command -v gcc || echo absent)"
echo "C header files in /usr/include: $(find /usr/include -name '*.h' 2>/dev/null | wc -l)"
echo "Debian packages installed: $(dpkg-query -f '.\\n' -W | wc -l)"
echo "psycopg2 links against: $(ldd /opt/venv/lib/python3*/site-packages/psycopg2/_psycopg*.so | grep -o 'libpq.so[^ ]* => [^ ]*')"
python -c "import fastapi, sqlalchemy, alembic, psycopg2; print('imports: ok, libpq', psycopg2.__libpq_version__)"
""")
print(inside.output)

# %%
fields = inside.fields()
assert inside.ok, inside.output
assert fields["gcc"] == "absent", "no compiler in the runtime image"
assert fields["imports"].startswith("ok"), "the app's packages import in the runtime image"
assert "libpq.so.5" in fields["psycopg2 links against"], "psycopg2 finds libpq5 at run time"

# %% [markdown]
# ### What if the runtime stage forgets `libpq5`?
#
# psycopg2's compiled module was linked against `libpq.so.5`. The builder had it (as a
# dependency of `libpq-dev`); the fresh slim image does not. A runtime stage without the
# `apt-get install libpq5` line builds fine, and then fails the first time Python imports
# psycopg2. Let's watch it happen (a throwaway build, removed afterwards):

# %%
from checker.lesson.variants import RUNTIME_LIBS

forgetful_text = lesson.variant("multi-stage").dockerfile().replace(RUNTIME_LIBS, "")
forgetful = lesson.build("no-libpq5", forgetful_text, label="multi-stage without libpq5",
                         base_ref=settings.slim_image, throwaway=True)
broken = lesson.run_in(forgetful.tag, 'python -c "import psycopg2"')
lesson.discard(forgetful)
print(broken.output)

# %% jupyter={"source_hidden": true}
assert "libpq5" not in forgetful_text and forgetful.ok, "the build itself does not notice"
assert not broken.ok and "libpq.so.5" in broken.output, "the import fails without the run-time library"

# %% [markdown]
# That is why a runtime image is worth *running* in CI, not only building. (The course's
# checker does exactly that with your exercise Dockerfiles.)

# %% [markdown]
# ## Explore the sizes yourself
#
# Pick an image to see its layers from largest to smallest:

# %%
explorer = lesson.SizeExplorer([full, slim_single, multi])
explorer

# %% jupyter={"source_hidden": true}
# The explorer's chart is the image's layers: they add up to its size.
assert sum(part.size_bytes for part in lesson.parts_of("multi-stage", multi.info)) == multi.size_bytes

# %% [markdown]
# <a id="your-turn-dockerfile"></a>
# ## Your turn: finish the runtime stage
#
# The Dockerfile below still has this lesson's fault. It is this lesson's multi-stage Dockerfile
# with one line too few: it builds, and that is all it does. Edit the text between the quotes, then
# run the next cell: it builds your version as `lpi-lesson/your-turn-02` (kept as a cache like the
# other lesson images; `python -m checker clean` removes it), measures it against the lesson's best
# image and tells you what the course checks find. Run as it is, it tells you the fault is still
# there; fix it and run the cell again to see the comment change.

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
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

FROM python:${PYTHON_VERSION}-slim
COPY --from=builder /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"
WORKDIR /app
COPY . .
CMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000"]
"""

# %%
turn = lesson.your_turn(my_dockerfile, lesson=2)
turn

# %% jupyter={"source_hidden": true}
# Whatever the text says now, the comment agrees with the course checks (run as shipped: the fault is found).
assert turn.fixed != ("still has the fault" in str(turn) or "failed" in str(turn) or "does not parse" in str(turn))

# %% [markdown]
# ## Self-check

# %%
lesson.self_check("why-libpq5")

# %% [markdown]
# ## Recap
#
# * A multi-stage build compiles in one stage and ships another; only the last stage is the image.
# * `COPY --from=builder /opt/venv /opt/venv` is the one line that carries the result across.
# * The runtime stage installs the **run-time** library (`libpq5`), never the `-dev` package, and
#   must not forget it: the build succeeds without it, the app does not.
# * Measured here: the multi-stage image is a fraction of the single-stage one, and the slim
#   single-stage image sits between the two, as in the article.
#
# **Exercise:** [`02-multi-stage`](../exercises/02-multi-stage/02-multi-stage.ipynb).
# **Next:** [3 · Why a virtualenv](03_virtualenvs.ipynb).
# **On one page:** the [quick reference](QUICK_REFERENCE.md) sums up every habit of the course.
