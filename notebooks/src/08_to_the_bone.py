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
# # 8 · To the bone: only what the app needs
#
# | | |
# |---|---|
# | **Time** | about 40 minutes |
# | **Objectives** | Measure what the slim base still carries that the app never runs. Build a final stage `FROM scratch` holding only the interpreter, the parts of its standard library the app imports, the shared libraries they need, CA certificates, a user and the app. Compare it with every earlier image. Name what you lose (a shell, a package manager, `ld.so.cache`) and how to work without it. Decide when this is worth it and when slim is the better choice. |
# | **Key points** | An empty final stage ships nothing by accident: every file in it was copied on purpose. The shared libraries come from an ELF analysis (`ldd` in a build stage), not from guessing package names. Without a shell you debug in a debug stage; without apt you take security fixes by rebuilding. Distroless, Chainguard and Docker Hardened Images publish such bases ready-made. |

# %%
from checker import engine, lesson

settings = lesson.settings

# %% [markdown]
# ## 1. What the slim base still carries
#
# Lesson 6's production image is multi-stage, non-root and free of build tools, and lesson 7
# trimmed what it installs. Its final stage still starts from `python:3.13-slim`, a small Debian:
# a shell, `apt` and `dpkg`, `perl-base`, coreutils, and the package database. The app runs none
# of them. Count them:

# %%
production = lesson.build_variant("production")
userland = lesson.run_in(production.tag, "echo \"packages: $(dpkg-query -W | wc -l)\"; "
                                          "echo \"programs: $(ls /usr/bin /usr/sbin | wc -l)\"; "
                                          "echo \"shells: $(for s in sh dash bash; do [ -e /bin/$s ] && printf '%s ' /bin/$s; done)\"; "
                                          "echo \"python: $(du -sb /usr/local | cut -f1)\"")
facts = userland.fields()
slim_bytes = lesson.measured(engine.image_info(settings.slim_image)).size_bytes
python_bytes = int(facts["python"])
print(f"{facts['packages']} Debian packages, {facts['programs']} programs in /usr/bin and /usr/sbin; shells: {facts['shells']}")
print(f"the slim base alone: {lesson.human_bytes(slim_bytes)} of the production image's {lesson.human_bytes(production.size_bytes)}; "
      f"in it, Python (/usr/local) {lesson.human_bytes(python_bytes)} and the Debian userland {lesson.human_bytes(slim_bytes - python_bytes)}")

# %% jupyter={"source_hidden": true}
assert userland.exit_code == 0, userland.output
assert int(facts["packages"]) > 50 and int(facts["programs"]) > 100
assert "sh" in facts["shells"]
assert slim_bytes > production.size_bytes / 2, "the base is most of the production image"
assert slim_bytes - python_bytes > slim_bytes / 2, "most of the base is the Debian userland, not Python"

# %% [markdown]
# More than half of the production image is the base, and most of the base is that userland.
# The app needs, at run time: the `python3` binary and `libpython`, the standard-library modules
# it (and FastAPI, SQLAlchemy, psycopg2...) imports, the shared libraries those binaries link
# against (the C library, OpenSSL, `libpq` and what `libpq` needs), CA certificates for TLS, an
# `/etc/passwd` line for its user, the venv and its own code. Nothing else.

# %% [markdown]
# ## 2. Predict, then build
#
# `FROM scratch` is Docker's empty image: a final stage that starts from it holds only what you
# `COPY` into it. Before you build, predict: how many MB will an image that still serves this
# app weigh? (Lesson 6's image is measured above.) Lock in your guess; the build answers it.

# %%
bone_guess = lesson.prediction("bone-size")
bone_guess

# %% [markdown]
# The Dockerfile is exercise 08's reference answer. Read its three parts: exercise 07's
# builder; a `rootfs` stage that assembles the final filesystem under `/rootfs`, using the
# builder's shell and `ldd` to list every shared library the interpreter and each extension
# (`*.so`) needs; and a final stage `FROM scratch` with one `COPY`.

# %%
lesson.dockerfile("bone")

# %%
bone = lesson.build_variant("bone")
print(f"the image: {lesson.human_bytes(bone.size_bytes)}, {len(bone.info.layers)} layers, user {bone.info.user}")

# %% jupyter={"source_hidden": true}
assert bone.ok, bone.error_tail()
assert bone.info.user == "10001"
assert bone.size_bytes < production.size_bytes / 2

# %% [markdown]
# Your prediction, against the measurement:

# %%
bone_guess.reveal(bone.size_bytes)

# %% [markdown]
# ## 3. Against every earlier image
#
# The single-stage full image of lesson 1 is the starting point of the course. Every lesson
# image on this engine, side by side:

# %%
full = lesson.build_variant("full-single")
everything = lesson.lesson_images()
shown = {name: info for name, info in everything.items() if name != "bone-rootfs"}
lesson.size_bars([(lesson.VARIANTS[name].label if name in lesson.VARIANTS else name, info.size_bytes)
                  for name, info in shown.items()], title="Every lesson image on this engine")

# %% jupyter={"source_hidden": true}
assert min(shown, key=lambda name: shown[name].size_bytes) == "bone", "the bone image is the smallest lesson image"

# %%
ratio = bone.size_bytes / full.size_bytes
print(f"to the bone: {lesson.human_bytes(bone.size_bytes)} = {ratio:.3f} of the single-stage full image "
      f"({lesson.human_bytes(full.size_bytes)}), {bone.size_bytes / production.size_bytes:.2f} of lesson 6's")

# %% jupyter={"source_hidden": true}
assert everything["bone"].size_bytes == bone.size_bytes
assert ratio <= 0.08, "exercise 08's target: at most 0.08 of the single-stage full image"
assert bone.size_bytes == min(info.size_bytes for info in shown.values()), "the smallest lesson image"

# %% [markdown]
# Where do the remaining megabytes go? The final stage has no shell to run `du` with, but the
# `rootfs` stage holds the same files and still has the builder's shell: build it as a target
# (`--target rootfs`, from cache) and look. This is also how you debug such an image.

# %%
rootfs = lesson.build_variant("bone-rootfs")
where = lesson.run_in(rootfs.tag, "cd /rootfs && for d in opt/venv/lib/python3*/site-packages usr/local/lib/python3* "
                                   "usr/local/lib/libpython* usr/local/bin lib usr/lib lib64 etc app; do "
                                   "[ -e \"$d\" ] && du -sb $d; done 2>/dev/null")
folders = lesson.parse_numbers(where.output)
table = lesson.Table(["folder", "size"], formats={"size": lesson.human_bytes})
for folder, size in sorted(folders.items(), key=lambda item: -item[1]):
    table.add(folder="/" + folder, size=size)
table

# %% jupyter={"source_hidden": true}
assert rootfs.ok, rootfs.error_tail()
assert folders, where.output
assert sum(folders.values()) <= bone.size_bytes * 1.05, "the folders listed are (at most) the whole image"
assert max(folders, key=folders.get).startswith("opt/venv"), "the app's dependencies are the largest part"

# %% [markdown]
# What is left is what the app runs: its dependencies (SQLAlchemy, pydantic-core and psycopg2
# are most of them), the standard library as bytecode, and the shared libraries (the C library,
# OpenSSL, and `libpq` with the Kerberos and LDAP libraries it links against).

# %% [markdown]
# ## 4. It still works
#
# Start it as the checker does, with its own `CMD` and `USER`, and ask for `/health`:

# %%
import time

lesson.cli.display_command(lesson.cli.docker_service(bone.tag, 8000))
started = time.perf_counter()
with engine.service(bone.tag, port=8000, settings=settings) as app:
    status, body = 0, ""
    while status != 200 and time.perf_counter() - started < 60:
        status, body, _ = app.get("/health")
        time.sleep(0.1)
first_200_s = time.perf_counter() - started
print(f"GET /health -> {status} after {first_200_s:.1f} s: {body[:120]}")

# %% jupyter={"source_hidden": true}
assert status == 200, body
assert first_200_s < 60

# %% [markdown]
# The exercise's checker proves the rest the same way, without a shell in the image: it reads
# the image's files from the exported layers, resolves each extension's shared libraries on the
# host from their ELF headers, and runs only the image's own `python`.

# %% [markdown]
# ## 5. What you give up
#
# **No shell.** `docker exec -it ... sh` and `docker run ... sh` have nothing to start:

# %%
lesson.cli.display_command(lesson.cli.docker_run(bone.tag, ["sh", "-c", "echo hello"]))
no_shell = engine.run(bone.tag, ["sh", "-c", "echo hello"], timeout_s=30, settings=settings)
print((no_shell.stderr or no_shell.stdout).strip()[-200:])

# %% jupyter={"source_hidden": true}
assert not no_shell.ok
assert "executable file not found" in no_shell.stderr

# %% [markdown]
# To look inside, use the debug stage you just built (`--target rootfs`: the same files, with a
# shell), or attach a separate toolbox to the running container: `docker debug` (a Docker
# Desktop command) or, on Kubernetes, `kubectl debug` with an ephemeral container. Both
# bring their own shell and leave the image as it is.
#
# **No package manager.** There is no `apt-get upgrade` to run, and a scanner that reads dpkg's
# database finds none (the image's libraries still come from Debian packages; they are just not
# registered). You take a security fix by rebuilding: `docker build --pull --no-cache` picks up
# the patched base and packages, and the image is replaced, never patched in place. That needs
# a pipeline that rebuilds on a schedule.
#
# **No `ld.so.cache`.** The dynamic loader finds `libpq.so.5` by its standard paths, so psycopg2
# works. But `ctypes.util.find_library`, which some packages use to locate a library by name,
# asks `ldconfig -p` (and the cache it reads) or a compiler, and the image has neither:

# %%
probe = ["python", "-c", "import ctypes.util; print(ctypes.util.find_library('pq'), ctypes.util.find_library('c'))"]
for image in (production, bone):
    lesson.cli.display_command(lesson.cli.docker_run(image.tag, probe))
found = {image.label: engine.run(image.tag, probe, timeout_s=60, settings=settings) for image in (production, bone)}
for label, result in found.items():
    print(f"{label}: {result.stdout.strip()}")

# %% jupyter={"source_hidden": true}
assert found[production.label].stdout.split() == ["libpq.so.5", "libc.so.6"]
assert found[bone.label].stdout.split() == ["None", "None"], "no ldconfig and no ld.so.cache in the bone image"

# %% [markdown]
# Python 3.13's `find_library` runs `ldconfig -p`, which reads `/etc/ld.so.cache`. When a
# dependency needs it, copy both from the builder (Debian's `/sbin/ldconfig` is a static binary;
# the cache lists the builder's libraries, so check each one it names is in the image), or load
# the library by its file name, `ctypes.CDLL("libpq.so.5")`, which the loader resolves by its
# standard paths without any cache.

# %% [markdown]
# ## 6. When it is worth it, and when slim is better
#
# Worth it: images pulled very often (autoscaling, edge devices, many short jobs), where every
# megabyte and every cold start count; environments where a security review counts every
# package, since what is not in the image cannot carry a vulnerability; and images whose
# dependencies are stable, so the list of copied files rarely changes.
#
# Slim is better: while the dependency list changes often (each new native extension can need a
# library the `ldd` loop must find, and a missing standard-library module fails only when
# imported); when the team debugs in the container with a shell; when packages expect a normal
# system (subprocesses calling `sh`, `ctypes.util.find_library`, locale data, time zones); and
# when nobody will maintain the rebuild pipeline. Lesson 6's image is already a large step from
# the single-stage one, at far lower cost.
#
# ### The published alternatives
#
# You do not have to assemble the bone yourself. Google's **distroless** images
# (`gcr.io/distroless/python3-debian12`) are Debian-based with no shell or package manager, and a
# `:debug` tag that adds busybox; their Python is Debian's, not the `python:` images'.
# **Chainguard Images** (`cgr.dev/chainguard/python`) are built from Chainguard's own Wolfi
# packages, rebuilt daily, with a `-dev` variant that has a shell and `apk` for the build stage.
# **Docker Hardened Images** are Docker's minimal, non-root bases with a published bill of
# materials, distributed through Docker Hub. None of them is pulled here (this engine has no
# registry); the trade is the same as above: you get a maintained, scanned base, and you must
# build against its Python and its C library, which decide which wheels fit.

# %% [markdown]
# <a id="your-turn-dockerfile"></a>
# ## Your turn: ship only the tree
#
# The Dockerfile below still has this lesson's fault. It is the to-the-bone Dockerfile whose last
# stage starts from the `rootfs` stage instead of from nothing. Edit only the last stage. Edit the
# text between the quotes, then run the next cell: it builds your version as `lpi-lesson/your-
# turn-08` (kept as a cache like the other lesson images; `python -m checker clean` removes it),
# measures it against the lesson's best image and tells you what the course checks find. Run as it
# is, it tells you the fault is still there; fix it and run the cell again to see the comment
# change.

# %%
my_dockerfile = r"""
ARG PYTHON_VERSION=3.13

FROM python:${PYTHON_VERSION}-slim AS builder
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev libpq-dev \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv --without-pip /opt/venv
WORKDIR /build
COPY requirements.txt .
# As in exercise 07: no pip in the venv, stripped extensions, no test suites, bytecode without sources.
RUN pip --python /opt/venv/bin/python install --no-cache-dir -r requirements.txt \
    && find /opt/venv -name '*.so' -exec strip --strip-unneeded {} + \
    && find /opt/venv -depth -type d \( -name tests -o -name test \) -exec rm -rf {} +
RUN /opt/venv/bin/python -m compileall -q -b -j 0 /opt/venv/lib \
    && find /opt/venv/lib -name '*.py' -delete \
    && find /opt/venv/lib -depth -type d -name __pycache__ -exec rm -rf {} +


# Everything the final stage holds, put together under /rootfs (this stage has a shell to do it).
FROM builder AS rootfs
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN set -eu; \
    lib=$(python3 -c 'import sysconfig; print(sysconfig.get_path("stdlib"))'); stdlib="/rootfs$lib"; \
    mkdir -p /rootfs/tmp /rootfs/etc/ssl/certs; chmod 1777 /rootfs/tmp; \
    cp -a --parents /usr/local/bin/python /usr/local/bin/python3 "$(readlink -f /usr/local/bin/python3)" \
        /usr/local/lib/libpython3*.so* "$lib" /opt/venv /rootfs/; \
    find "$stdlib" -mindepth 1 -maxdepth 1 \( -name test -o -name idlelib -o -name tkinter -o -name turtledemo \
        -o -name turtle.py -o -name ensurepip -o -name lib2to3 -o -name pydoc_data -o -name pydoc.py -o -name venv \
        -o -name 'config-3*' -o -name __phello__ -o -name doctest.py -o -name unittest \) -exec rm -rf {} +; \
    rm -rf "$stdlib"/site-packages/* /rootfs/opt/venv/lib/python3*/site-packages/sqlalchemy/testing; \
    find "$stdlib/lib-dynload" \( -name '_test*' -o -name 'xx*' -o -name '_tkinter*' -o -name 'readline*' \
        -o -name '_curses*' -o -name '_dbm*' -o -name '_gdbm*' -o -name '_ctypes_test*' -o -name '_codecs_??.*' \
        -o -name '_codecs_iso2022*' -o -name '_multibytecodec*' \) -delete; \
    /usr/local/bin/python3 -m compileall -q -b -j 0 "$stdlib" >/dev/null; \
    find "$stdlib" -name '*.py' -delete; find "$stdlib" -depth -type d -name __pycache__ -exec rm -rf {} +; \
    for file in /usr/local/bin/python3 $(find /rootfs/usr/local/lib /rootfs/opt/venv -name '*.so*' -type f); do \
        ldd "$file" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'; \
    done | sort -u > /tmp/libraries; \
    while read -r library; do cp -L --parents "$library" /rootfs/; done < /tmp/libraries; \
    find /rootfs -type f \( -name '*.so*' -o -name 'python3.*' \) ! -name 'ld-linux*' \
        -exec strip --strip-unneeded {} +; \
    cp -L /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/; \
    printf 'app:x:10001:10001::/nonexistent:/sbin/nologin\n' > /rootfs/etc/passwd; \
    printf 'app:x:10001:\n' > /rootfs/etc/group


FROM rootfs
ENV PATH="/opt/venv/bin:/usr/local/bin" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
WORKDIR /app
COPY . .
USER 10001
EXPOSE 8000
CMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000"]
"""

# %%
turn = lesson.your_turn(my_dockerfile, lesson=8)
turn

# %% jupyter={"source_hidden": true}
# Whatever the text says now, the comment agrees with the course checks (run as shipped: the fault is found).
assert turn.fixed != ("still has the fault" in str(turn) or "failed" in str(turn) or "does not parse" in str(turn))

# %% [markdown]
# ## Self-check

# %%
lesson.self_check("no-shell-debug")

# %%
lesson.self_check("bone-security-fix")

# %% [markdown]
# ## Recap
#
# * The slim base is most of a lean image, and most of it is a userland the app never runs.
# * A `FROM scratch` final stage holds only what you copy: the interpreter, the standard library
#   the app imports (as bytecode), the shared libraries `ldd` lists for each binary, CA
#   certificates, `/etc/passwd` for a numeric user, the trimmed venv and the app. Measured above
#   against every earlier image.
# * Without a shell, debug with a `--target` debug stage or an attached toolbox (`docker debug`,
#   `kubectl debug`); without a package manager, rebuild to take fixes; without `ld.so.cache`,
#   `ctypes.util.find_library` finds nothing.
# * Go to the bone for images pulled often and reviewed closely; stay on slim while the
#   dependencies move and the team needs a shell. Distroless, Chainguard and Docker Hardened
#   Images sell the same idea ready-made.
#
# **Exercise:** [`08-to-the-bone`](../exercises/08-to-the-bone/08-to-the-bone.ipynb).
# Back to the [list of lessons](README.md).
