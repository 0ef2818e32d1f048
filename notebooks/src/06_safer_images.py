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
# # 6 · Safer images
#
# | | |
# |---|---|
# | **Time** | about 30 minutes |
# | **Objectives** | Measure what `.dockerignore` keeps out of the build context. Run the app as a non-root user named by number. Keep secrets out of `ARG`, `ENV` and the layers, and know what a BuildKit secret mount offers. Start the app with an exec-form `CMD`. Declare a `HEALTHCHECK` and watch the engine's verdict change from `starting` to `healthy`, or to `unhealthy`. |
# | **Key points** | `.dockerignore` decides what leaves your machine, including secrets. A `USER` line with a numeric uid costs nothing and removes root from the running app. A secret written into a layer, an `ENV` or a build argument stays readable by anyone who pulls the image. A `HEALTHCHECK` only *reports* health: what acts on it is the platform that runs the container. |

# %%
import shutil
import tempfile
from pathlib import Path

from checker import engine, lesson

settings = lesson.settings

# %% [markdown]
# ## 1. `.dockerignore`: what leaves your machine
#
# `docker build .` sends the whole folder to the engine as the *build context*, minus what
# `.dockerignore` excludes. The sample app's folder is tidy; a real working copy is not. Let's make
# one: the app plus a local virtualenv, bytecode caches, a git repository and a `.env` file with a
# (fake) database password.

# %%
workdir = Path(tempfile.mkdtemp(prefix="lpi-lesson6-"))
project = workdir / "notes-app"
shutil.copytree(lesson.SAMPLE_APP_DIR, project, ignore=shutil.ignore_patterns("__pycache__"))
print("added to the working copy:", ", ".join(lesson.add_developer_clutter(project)))
print("the app's .dockerignore:\n" + (project / ".dockerignore").read_text())
assert (project / ".env").is_file() and (project / ".venv").is_dir()

# %%
contexts = {"with .dockerignore": lesson.context_size(project, dockerignore=True),
            "without .dockerignore": lesson.context_size(project, dockerignore=False)}
table = lesson.Table(["context", "files", "bytes sent", "largest top-level entries"],
                     formats={"bytes sent": lesson.human_bytes})
for name, size in contexts.items():
    table.add(context=name, files=size.files, **{"bytes sent": size.tar_bytes, "largest top-level entries":
              ", ".join(f"{entry} ({lesson.human_bytes(n)})" for entry, n in size.largest[:3])})
table

# %%
with_ignore, without_ignore = contexts["with .dockerignore"], contexts["without .dockerignore"]
clean_app = lesson.context_size(lesson.SAMPLE_APP_DIR)
assert (with_ignore.files, with_ignore.tar_bytes) == (clean_app.files, clean_app.tar_bytes), \
    "with .dockerignore, the cluttered working copy sends exactly what the clean app folder sends"
assert with_ignore.tar_bytes < without_ignore.tar_bytes / 10, ".dockerignore cuts the context by far"
assert without_ignore.largest[0][0] in {".venv", ".git"}, "without it, the local venv or git history dominates"

# %% [markdown]
# Now build lesson 2's Dockerfile from this folder, once with the `.dockerignore` and once
# without (both are throwaway builds). `COPY . .` copies whatever the context holds:

# %%
multi_text = lesson.variant("multi-stage").dockerfile()
tidy = lesson.build("multi-stage", multi_text, label="from the working copy, with .dockerignore",
                    base_ref=settings.slim_image, source=project, dockerignore=True, throwaway=True)
leaky = lesson.build("multi-stage", multi_text, label="from the working copy, without .dockerignore",
                     base_ref=settings.slim_image, source=project, dockerignore=False, throwaway=True)
app_layers = {"with .dockerignore": tidy.step_layer_bytes("COPY . ."),
              "without .dockerignore": leaky.step_layer_bytes("COPY . .")}
inside = lesson.run_in(leaky.tag, "ls -A /app; echo; echo \"the .env file says: $(cat /app/.env)\"")
print({name: lesson.human_bytes(size) for name, size in app_layers.items()})
print(inside.output)

# %%
assert app_layers["without .dockerignore"] > 10 * app_layers["with .dockerignore"]
assert "not-a-real-password" in inside.output, "without .dockerignore the .env secret is baked into the image"
for image in (tidy, leaky):
    lesson.discard(image)
shutil.rmtree(workdir, ignore_errors=True)

# %% [markdown]
# The secret is the serious part: once a file is in a layer, anyone who can pull the image can
# read it, and deleting it in a later layer does not remove it from the earlier one. List
# `.env`, `.git`, virtualenvs and caches in `.dockerignore` from the first commit. (Putting the
# `Dockerfile` and `README.md` there too means editing them does not invalidate `COPY . .`.)

# %% [markdown]
# <a id="run-as-a-non-root-user"></a>
# ## 2. Don't run as root
#
# By default a container's process runs as `root` (uid 0). Namespaces and capabilities limit what
# that root can do, but a bug in your app, or in the kernel, is worse with uid 0 on the other side.
# The production Dockerfile below creates a system user with a fixed uid and switches to it with
# `USER` after everything that needs root (installing packages, copying files) is done. It also
# brings together the habits of this lesson and the next; we build it once here, and
# [lesson 7](07_smaller_and_faster.ipynb) reads its size habits from the same image.

# %%
lesson.dockerfile("production")

# %%
production = lesson.build_variant("production")
multi = lesson.build_variant("multi-stage")
whoami = {image.label: lesson.run_in(image.tag, "echo \"uid: $(id -u)\"; echo \"user: $(id -un)\"")
          for image in (multi, production)}
for label, probe in whoami.items():
    print(f"{label}: {probe.output.strip()}")

# %% jupyter={"source_hidden": true}
assert production.ok, production.error_tail()
assert whoami[multi.label].fields()["uid"] == "0", "without USER the app runs as root"
assert whoami[production.label].fields()["uid"] == "10001", "with USER 10001 the process is not root"
assert production.info.user == "10001", "the image names its user by number"

# %% [markdown]
# The Dockerfile creates the user with a fixed uid (10001) and names it by that *number*,
# `USER 10001`, not `USER app`. Kubernetes' `runAsNonRoot` checks the image's user before it
# starts the container, and it can only verify a number: with a name, the kubelet refuses to
# create the container (unless the pod's securityContext sets a numeric `runAsUser`), because it
# cannot tell that the name is not root
# ([Kubernetes: security context](https://kubernetes.io/docs/tasks/configure-pod-container/security-context/)).
# A fixed uid also matters when files on a volume must be owned by the app. The app only reads its
# code, so the files can stay owned by root: the app user can read them but not change them.

# %% [markdown]
# <a id="keep-secrets-out"></a>
# ## 3. Keep secrets out of `ARG` and `ENV`
#
# Section 1 showed a secret *file* reaching the image. Values do too. `ENV` is stored in the
# image's configuration, where `docker inspect` shows it to anyone who can pull the image. `ARG` is
# not kept as an environment variable, but the builder writes the build arguments' values into the
# history entry of each `RUN` step that has them in scope, which `docker history` prints. And a
# value written in the Dockerfile also lives in your git history. Give secrets to the container
# when it starts (`docker run -e` or `--env-file`, or your platform's secret store), keep only
# non-secret settings in `ENV`, and rotate any secret that was ever committed.

# %% [markdown]
# <a id="build-secret-mounts"></a>
# ### When a build step needs a secret: `RUN --mount=type=secret`
#
# Some steps need a secret *while they run*: a token for a private package index, say. Passing it
# with `--build-arg` puts it in the history, as above. BuildKit has a mount for this: the secret is
# given to `docker build` from a file or an environment variable, appears as a file under
# `/run/secrets/` for the one `RUN` that asks for it, and is never written into a layer or into the
# history:
#
# ```dockerfile
# RUN --mount=type=secret,id=index_token \
#     PIP_INDEX_URL="https://token:$(cat /run/secrets/index_token)@pypi.example.com/simple" \
#     pip install --no-cache-dir -r requirements.txt
# ```
#
# ```console
# $ INDEX_TOKEN=... docker build --secret id=index_token,env=INDEX_TOKEN .
# ```
#
# Only BuildKit has secret mounts; the classic builder does not know `--mount`. The cell below asks
# the engine you are using which builders it offers, builds a small image whose one step reads a
# (fake) secret, and then looks for the secret in the image.

# %%
env = lesson.environment()
print(f"Docker engine {env.engine.server_version}; builders it offers: {lesson.builders_offered(env.engine.builders)}")
fake_secret = "not-a-real-token"
secret_text = (f"FROM {settings.slim_image}\n"
               "RUN --mount=type=secret,id=index_token \\\n"
               "    echo \"during this step the secret file holds $(wc -c < /run/secrets/index_token) bytes\"\n")
with_buildkit = engine.choose_builder(settings).name == "buildkit"  # the builder the lessons (and `docker build`) use here
if with_buildkit:
    secret_image = lesson.build("secret-mount", secret_text, label="a step that reads a secret mount",
                                base_ref=settings.slim_image, throwaway=True, nocache=True, secrets={"index_token": fake_secret})
    print("\n".join(secret_image.log_lines(r"secret file holds")))
    after = lesson.run_in(secret_image.tag, "ls /run/secrets 2>&1; echo \"exit: $?\"")
    history = " ".join(layer.created_by for layer in secret_image.info.layers)
    print(f"in the image afterwards: {after.output.strip()!r}; the secret in its history: {fake_secret in history}")
else:
    secret_image = lesson.build("secret-mount", secret_text, label="a secret mount on the classic builder",
                                base_ref=settings.slim_image, throwaway=True)
    print("This engine offers only the classic builder, so the secret mount cannot be built here. "
          f"What it answers: {(secret_image.result.error or '').strip()[-200:]}")

# %% jupyter={"source_hidden": true}
if with_buildkit:
    assert secret_image.ok, secret_image.error_tail()
    assert any(f" {len(fake_secret)} bytes" in line for line in secret_image.log_lines(r"secret file holds")), "the step read the secret"
    assert fake_secret not in history, "the secret is not in the image's history"
    assert "index_token" not in after.output, "no secret file stays behind in the image"
else:
    assert not secret_image.ok, "the classic builder cannot run RUN --mount"
lesson.discard(secret_image)

# %% [markdown]
# The secret was there for the one step that needed it (its size printed above), and the image keeps
# no trace of it: neither a file nor a history entry. On an engine that only has the classic builder,
# as measured above when it is the case, keep such steps out of the Dockerfile: install from a
# private index on a machine that has the token, or switch to an engine with BuildKit (the default
# builder of `docker build` since Docker Engine 23.0).

# %% [markdown]
# ## 4. Two more habits, in words
#
# The course's checker asks for two more habits here. Neither needs a measurement to make its
# point, so this section only explains them; exercise 06 grades the exec-form `CMD`, and
# `python -m checker lint` flags `ADD` (LPI017).

# %% [markdown]
# <a id="exec-form-cmd"></a>
# ### Start the app with an exec-form `CMD`
#
# Write the command as a JSON array, as the production Dockerfile does:
# `CMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8000"]`. Docker then starts uvicorn
# itself as the container's main process, and `docker stop` delivers its SIGTERM to the app, which
# shuts down cleanly. The shell form (`CMD uvicorn main:app ...`) runs the line through
# `/bin/sh -c`; the shell may stay in between as the main process (it does when the line holds
# `&&`, a pipe or several commands), and it does not pass the signal on, so Docker waits out its
# grace period and kills the app mid-request. Use double quotes: a
# "JSON array" with single quotes is not JSON, and Docker quietly treats the line as shell form.
# Without any `CMD` the image inherits the base image's, the Python prompt. And bind the server to
# `0.0.0.0`: an app listening on `127.0.0.1` answers only from inside its own container.

# %% [markdown]
# <a id="copy-not-add"></a>
# ### `COPY`, not `ADD`
#
# `ADD` copies files too, but it also unpacks local tar archives and downloads URLs, so a reader
# has to work out which of the three a given line does. `COPY` only copies. Use `COPY` for files
# from the build context; when you need a file from the web, download it in a `RUN` (and check its
# checksum) so the step says what it does.

# %% [markdown]
# <a id="healthcheck"></a>
# ## 5. Running is not healthy: `HEALTHCHECK`
#
# A container whose app has hung still shows *Up* in `docker ps`: the process runs, it just
# answers nothing. A `HEALTHCHECK` tells the engine how to ask. The engine runs the command inside
# the container every `--interval`; exit code 0 means healthy. While `--start-period` lasts, failures
# do not count (the app is still starting); after it, `--retries` failures in a row mark the
# container unhealthy. Write it in exec form, and with a program the image has: the slim image has
# no `curl`, but it has Python, whose `urllib` is enough. This image is section 2's production image
# plus one line, checking every second so that the verdict comes in seconds (a real service checks
# less often, say every 30 s):

# %%
lesson.dockerfile("healthcheck")

# %%
healthy_image = lesson.build_variant("healthcheck")
print("the check, as the image's config stores it:", healthy_image.info.healthcheck)
healthy = lesson.watch_health(healthy_image.tag, until=("healthy",), deadline_s=90, settings=settings)
for at, status in healthy.changes:
    print(f"{at:5.1f} s after the start: {status}")

# %% jupyter={"source_hidden": true}
assert healthy_image.ok, healthy_image.error_tail()
assert healthy_image.info.healthcheck and healthy_image.info.healthcheck[0] == "CMD", "exec form: no shell in between"
assert healthy.statuses()[0] == "starting", "a container with a HEALTHCHECK starts as 'starting'"
assert healthy.final == "healthy", f"the check should pass: {healthy.last_output()}"
assert healthy.seconds_to("healthy") < 90

# %% [markdown]
# Measured above: the status went from `starting` to `healthy` at the first check that passed;
# the time it took is mostly the app's own start-up, plus up to one interval. Now the same image with a
# mistake in the check: it asks for `/healthz`, a path the app does not serve (404), so every check
# fails. Before you build it, predict:

# %%
unhealthy_guess = lesson.prediction("unhealthy-action")
unhealthy_guess

# %%
sick_image = lesson.build_variant("healthcheck-wrong-path")
sick = lesson.watch_health(sick_image.tag, until=("unhealthy",), deadline_s=90, settings=settings, show=False)
for at, status in sick.changes:
    print(f"{at:5.1f} s after the start: {status}")
last_line = (sick.last_output().splitlines() or [""])[-1]
print(f"the container itself: {sick.state}; the last check ended with: {last_line}")

# %% jupyter={"source_hidden": true}
assert sick_image.ok, sick_image.error_tail()
assert sick.final == "unhealthy", sick
assert sick.seconds_to("unhealthy") >= 5, "failures during --start-period (5 s) do not count"
assert sick.state == "running", "an unhealthy container keeps running: Docker only reports it"
assert "404" in sick.last_output() or "Not Found" in sick.last_output(), sick.last_output()

# %% [markdown]
# Your prediction, against the measurement:

# %%
unhealthy_guess.reveal(sick.state)

# %% [markdown]
# So Docker itself only *reports* health: `docker ps` shows `(healthy)` or `(unhealthy)`, and
# `docker inspect` keeps the last checks' output, as printed above. Acting on it is the job of what
# runs the container: Compose can make a service wait for another one to be healthy, Swarm replaces
# unhealthy tasks, and a platform or your own monitoring can restart them. **Kubernetes ignores the
# image's `HEALTHCHECK`**: it runs the `livenessProbe` and `readinessProbe` of the pod spec instead
# ([Kubernetes: liveness, readiness and startup probes](https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/)).
# The course's grader does not rely on it either: it starts your image and asks `GET /health`
# itself (the `health` check), and the `healthcheck` check only advises declaring one by default
# (exercise 06's rubric gives it a point).
# A check costs a process start inside the container every interval, and a Python one imports
# `urllib` each time: keep the interval in tens of seconds, not one second as here.

# %% [markdown]
# <a id="your-turn-dockerfile"></a>
# ## Your turn: take root away
#
# The Dockerfile below still has this lesson's fault. It is the production Dockerfile with two of
# its habits missing. Edit the text between the quotes, then run the next cell: it builds your
# version as `lpi-lesson/your-turn-06` (kept as a cache like the other lesson images; `python -m
# checker clean` removes it), measures it against the lesson's best image and tells you what the
# course checks find. Run as it is, it tells you the fault is still there; fix it and run the cell
# again to see the comment change.

# %%
my_dockerfile = r"""
ARG PYTHON_VERSION=3.13
FROM python:${PYTHON_VERSION}-slim AS builder
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev libpq-dev \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

FROM python:${PYTHON_VERSION}-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=builder /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH" PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY . .
EXPOSE 8000
CMD uvicorn main:app --host 0.0.0.0 --port 8000
"""

# %%
turn = lesson.your_turn(my_dockerfile, lesson=6)
turn

# %% jupyter={"source_hidden": true}
# Whatever the text says now, the comment agrees with the course checks (run as shipped: the fault is found).
assert turn.fixed != ("still has the fault" in str(turn) or "failed" in str(turn) or "does not parse" in str(turn))

# %% [markdown]
# ## Self-check

# %%
lesson.self_check("deleted-secret")

# %%
lesson.self_check("healthcheck-on-kubernetes")

# %% [markdown]
# ## Recap
#
# * `.dockerignore` keeps virtualenvs, git history and secrets out of the context, and so out of
#   every `COPY . .`. Measured above: a context many times smaller, and no password in the image.
# * `USER 10001` (a fixed uid, named by number) after the root-only steps: the app runs as
#   non-root for free, and Kubernetes' `runAsNonRoot` can verify it.
# * No secrets in `ARG`, `ENV` or a layer; a step that needs one at build time gets it through a
#   BuildKit secret mount, which leaves nothing behind.
# * An exec-form `CMD`, so `docker stop` reaches the app; `COPY` rather than `ADD`.
# * A `HEALTHCHECK` in exec form, with a program the image has (Python's `urllib` on slim): the
#   engine reports `starting`, then `healthy` or `unhealthy`, and the container keeps running either
#   way; Kubernetes uses its own probes.
#
# **Exercise:** [`06-production-ready`](../exercises/06-production-ready/06-production-ready.ipynb).
# Next: [lesson 7, smaller and faster](07_smaller_and_faster.ipynb): recommended packages, pip's
# cache, cache mounts, bytecode and pip itself.
# Back to the [list of lessons](README.md).
# **On one page:** the [quick reference](QUICK_REFERENCE.md) sums up every habit of the course.
