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
# # 1 · The single-stage problem
#
# | | |
# |---|---|
# | **Time** | about 20 minutes (the first build takes a minute or two) |
# | **Objectives** | Build the sample app the straightforward way, with one `FROM` on the full Python image. Measure the image and find out which layers and which directories hold its bytes. Confirm that compilers and header files ship with it. Turn the size into pull time and cost. |
# | **Key points** | A single-stage image keeps everything the *build* needed: compilers, headers, package lists. Most of the weight arrives with the base image you choose, not with the lines you write. Size is paid on every pull, on every new machine, and in what an attacker finds inside. |
#
# All figures below are measured on this engine when you run the cells; the prose never quotes them.

# %%
from checker import engine, lesson

settings = lesson.settings

# %% [markdown]
# ## The sample app
#
# A small notes API: FastAPI and uvicorn serve it, SQLAlchemy and alembic manage the database,
# and **psycopg2** talks to PostgreSQL. psycopg2 is installed *from source* on purpose: pip has to
# compile its C extension against libpq, so the build needs `gcc` and the libpq headers
# (`libpq-dev`). The running app needs neither.

# %%
print((lesson.SAMPLE_APP_DIR / "requirements.txt").read_text())

# %% [markdown]
# Here is the Dockerfile the app ships with as a starting point, `sample_app/Dockerfile.single`:

# %%
lesson.dockerfile("full-single")

# %% [markdown]
# Read it top to bottom: start from the full `python` image, install the compiler and the libpq
# headers, install the Python requirements (this compiles psycopg2), copy the code, say how to
# start. It works. Let's build it and see what it costs.
#
# Before you build, predict: the app's own code is a few kilobytes, so how big will the image
# be? Type a number and lock it in; the measurement after the build answers it.

# %%
size_guess = lesson.prediction("full-single-size")
size_guess

# %% [markdown]
# The progress bar follows the build step by step; if the image was built before, every step
# comes from the cache and this takes seconds. Above it, "Same in a terminal" opens the
# `docker build` command that does the same from the repository's top folder (every helper that
# builds, runs or measures shows its command there).

# %%
full = lesson.build_variant("full-single")

# %% jupyter={"source_hidden": true}
assert full.ok, full.error_tail()
install = full.step("pip install")
assert install.cached or install.seconds > 0, "a step that ran took time (BuildKit reports 0 s for a cached one)"

# %% [markdown]
# ## How big is it?
#
# The figure below is the image's *uncompressed* size: its layers unpacked and added up. A
# registry's listing, or `docker images` on an engine with the containerd image store (Docker
# Desktop's default), shows other figures for the same image; [lesson 2](02_multi_stage.ipynb#three-sizes)
# names all three.

# %%
base_info = lesson.measured(engine.image_info(settings.full_image))  # sized as the grader sizes images, on any store
print(f"{full.tag}: {lesson.human_bytes(full.size_bytes)}")
print(f"its base image {settings.full_image}: {lesson.human_bytes(base_info.size_bytes)} "
      f"({base_info.size_bytes / full.size_bytes:.0%} of the total)")
print(f"added by the Dockerfile's own steps: {lesson.human_bytes(full.size_bytes - base_info.size_bytes)}")

# %% jupyter={"source_hidden": true}
assert full.size_bytes > 500_000_000, "a single-stage image on the full base weighs more than half a gigabyte"
assert base_info.size_bytes > full.size_bytes / 2, "most of the weight comes with the base image"

# %% [markdown]
# Your prediction, against the measurement:

# %%
size_guess.reveal(full.size_bytes)

# %% [markdown]
# <a id="what-makes-an-image-heavy"></a>
# ## Where the weight comes from, layer by layer
#
# An image is a stack of layers, one per instruction that changes files. The engine records each
# layer's size. Below, the base image's layers are grouped into one bar (you did not write them,
# but you chose them); every other bar is a line of *our* Dockerfile.

# %%
parts = lesson.breakdown(lesson.measured(full.info), base_info, base_label=f"base image {settings.full_image}", dockerfile=full.dockerfile)
assert sum(part.size_bytes for part in parts) == full.size_bytes, "the layers add up to the image"
lesson.layer_bars(parts, title=f"{full.label}: {lesson.human_bytes(full.size_bytes)} by layer")

# %%
lesson.breakdown_table(parts)

# %%
own = [p for p in parts if not p.from_base]
apt_layer = full.step_layer_bytes("apt-get install")
print(f"the apt-get layer added {lesson.human_bytes(apt_layer)}: gcc and libpq-dev were already in the full image")
largest_own = max(own, key=lambda p: p.size_bytes)
assert parts[0].from_base and parts[0].size_bytes == max(p.size_bytes for p in parts)
assert "pip install" in largest_own.label, "of our own steps, installing the requirements adds the most"
assert apt_layer < largest_own.size_bytes, "on the full image, installing gcc and libpq-dev adds next to nothing"

# %% [markdown]
# <a id="recommended-packages"></a>
# ### Recommended packages
#
# Our `apt-get install` line names two packages, but by default apt also installs every package
# they *recommend*: documentation, extra tools, libraries the app never loads. Here that costs
# little, because the full image already holds gcc and libpq-dev, so apt has next to nothing to
# add. On a slim base the same line brings in the compiler and all its recommendations.
# `apt-get install -y --no-install-recommends ...` installs only the packages you name and what
# they strictly depend on, so the image holds what the Dockerfile says.
# [Lesson 7](07_smaller_and_faster.ipynb) measures the difference, and shows the trap that comes with it.

# %% [markdown]
# ## Inside the image: a build toolchain nobody uses at run time
#
# The full image is Debian plus the "buildpack-deps" set: compilers, hundreds of `-dev`
# packages, version-control tools. Let's run a few commands *inside* the image we built.
# (`lesson.run_in` starts the image, runs the snippet with `sh`, and returns what it printed.)

# %%
tools = lesson.run_in(full.tag, """
echo "gcc: $(gcc --version | head -n 1)"
echo "make: $(make --version | head -n 1)"
echo "C header files in /usr/include: $(find /usr/include -name '*.h' | wc -l)"
echo "static libraries (*.a) in /usr/lib: $(find /usr/lib -name '*.a' | wc -l)"
echo "Debian packages installed: $(dpkg-query -f '.\\n' -W | wc -l)"
""")
print(tools.output)

# %%
found = tools.fields()
headers = int(found["C header files in /usr/include"])
assert tools.ok and found["gcc"].startswith("gcc"), "the compiler ships in the image"
assert headers > 0, "C header files ship in the image"

# %% [markdown]
# Compilers and headers are only needed while `pip` builds psycopg2. Which directories weigh
# the most? `du` measures them (the directories do not overlap):

# %%
directories = {
    "/usr/lib/x86_64-linux-gnu": "shared and static libraries",
    "/usr/share": "docs, locales, data files",
    "/usr/libexec/gcc": "the compiler's internals",
    "/usr/lib/gcc": "the compiler's own libraries",
    "/usr/bin": "commands",
    "/usr/include": "C header files",
    "/usr/local": "our CPython and the app's packages",
}
du = lesson.run_in(full.tag, "du -sb " + " ".join(directories) + " 2>/dev/null")
sizes = lesson.parse_numbers(du.output)
by_size = sorted(directories, key=lambda path: -sizes.get(path, 0))
lesson.value_bars([(f"{path}  ({directories[path]})", sizes.get(path, 0) / 1e6) for path in by_size],
                  unit="MB", title=f"Inside {full.tag}: size of a few directories")

# %%
toolchain = sizes.get("/usr/libexec/gcc", 0) + sizes.get("/usr/lib/gcc", 0) + sizes.get("/usr/include", 0)
print(f"compiler and headers alone: {lesson.human_bytes(toolchain)}")
assert toolchain > 0 and sizes["/usr/local"] < full.size_bytes / 2, \
    "the app and its interpreter are the minority of this image"

# %% [markdown]
# ## Why size matters
#
# ### Pull time
#
# Every machine that runs the image first downloads the layers it does not have: a new CI
# runner, a freshly scaled node, a laptop after `docker system prune`. The time below is the
# image's size divided by the link speed. Registries send layers gzip-compressed, so the real
# transfer is smaller than this uncompressed size, and the engine then spends CPU time
# decompressing; the *ratio* between two images is what to take away.

# %%
links = {"10 Mbit/s (a slow office link)": 10, "100 Mbit/s": 100, "1 Gbit/s (a fast data centre)": 1000}
pulls = lesson.Table(["link", "time to move the whole image"], formats={"time to move the whole image": lesson.human_seconds})
for name, mbit in links.items():
    pulls.add(link=name, **{"time to move the whole image": lesson.pull_seconds(full.size_bytes, mbit)})
pulls

# %% jupyter={"source_hidden": true}
assert abs(lesson.pull_seconds(full.size_bytes, 10) - 10 * lesson.pull_seconds(full.size_bytes, 100)) < 1e-6, \
    "pull time grows in proportion to the bytes"

# %% [markdown]
# ### Storage and bandwidth
#
# Registries bill storage and transfer by the gigabyte. Shared base layers are stored once, but
# every *fresh* machine pulls every layer. Change the assumptions to match your team:

# %%
fresh_pulls_per_day = 40  # assumption: clean CI runners plus autoscaled nodes
days = 30
monthly = full.size_bytes * fresh_pulls_per_day * days
print(f"{fresh_pulls_per_day} fresh pulls a day for {days} days move {lesson.human_bytes(monthly)} of this image.")

# %% jupyter={"source_hidden": true}
assert monthly == full.size_bytes * fresh_pulls_per_day * days

# %% [markdown]
# ### Attack surface
#
# Everything in an image is something an attacker who gets a shell in the container can use,
# and something your vulnerability scanner will report. A compiler lets an intruder build
# tools on the spot; every installed package is a package that needs security updates.
# The probe above counted them in this image. Lesson 2 counts them again after the cure.

# %% [markdown]
# <a id="your-turn-dockerfile"></a>
# ## Your turn: slim it down
#
# The Dockerfile below still has this lesson's fault. It is the Dockerfile of this lesson. Lesson 2
# removes the compiler altogether; here, make the single stage lighter with what this lesson
# measured. Edit the text between the quotes, then run the next cell: it builds your version as
# `lpi-lesson/your-turn-01` (kept as a cache like the other lesson images; `python -m checker clean`
# removes it), measures it against the lesson's best image and tells you what the course checks
# find. Run as it is, it tells you the fault is still there; fix it and run the cell again to see
# the comment change.

# %%
my_dockerfile = r"""
ARG PYTHON_VERSION=3.13
FROM python:${PYTHON_VERSION}

WORKDIR /app

RUN apt-get update \
    && apt-get install -y libpq-dev gcc \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .

CMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000"]
"""

# %%
turn = lesson.your_turn(my_dockerfile, lesson=1)
turn

# %% jupyter={"source_hidden": true}
# Whatever the text says now, the comment agrees with the course checks (run as shipped: the fault is found).
assert turn.fixed != ("still has the fault" in str(turn) or "failed" in str(turn) or "does not parse" in str(turn))

# %% [markdown]
# ## Self-check

# %%
lesson.self_check("what-can-leave")

# %%
lesson.self_check("largest-own-layer", own)

# %% [markdown]
# ## Recap
#
# * The single-stage image works, and it is big: measured above, with the base image providing
#   most of the bytes.
# * It ships a C compiler, thousands of header files and hundreds of packages the app never
#   uses at run time.
# * Size costs pull time on every fresh machine, registry storage and transfer, and security
#   exposure.
#
# **Exercise:** [`02-multi-stage`](../exercises/02-multi-stage/02-multi-stage.ipynb), after lesson 2, starts from this Dockerfile.
# **Next:** [2 · Multi-stage builds](02_multi_stage.ipynb) removes the toolchain from what you ship.
# **On one page:** the [quick reference](QUICK_REFERENCE.md) sums up every habit of the course.
