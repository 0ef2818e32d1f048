"""The dynamic checks' verdicts on hand-made evidence, and the probes' pure helpers (no engine)."""

from __future__ import annotations

from checker import checks as dynamic
from checker import engine, probes
from checker.probes import FilesystemFacts, RuntimeFacts


def image(size=180_000_000, cmd=("uvicorn", "main:app", "--host", "0.0.0.0"), entrypoint=None,
          env=("PATH=/opt/venv/bin:/usr/local/bin:/usr/bin:/bin",), exposed=(), workdir="/app") -> engine.ImageInfo:
    return engine.ImageInfo(id="sha256:x", tags=(), size_bytes=size, labels={}, layers=(), env=tuple(env), user="app",
                            cmd=tuple(cmd) if cmd else None, entrypoint=tuple(entrypoint) if entrypoint else None,
                            exposed_ports=tuple(exposed), created="", workdir=workdir)


def filesystem(**kwargs) -> FilesystemFacts:
    fs = FilesystemFacts(total_bytes=kwargs.pop("total_bytes", 178_000_000))
    for path, kind in kwargs.pop("kinds", {}).items():
        fs.kinds[path] = kind
    fs.links.update(kwargs.pop("links", {}))
    fs.heads.update(kwargs.pop("heads", {}))
    for key, value in kwargs.items():
        setattr(fs, key, value)
    return fs


def runtime(**kwargs) -> RuntimeFacts:
    facts = RuntimeFacts(interpreter="/opt/venv/bin/python", found_by="test", version="3.13.5",
                         soabi="cpython-313-x86_64-linux-gnu", include="/usr/local/include/python3.13",
                         sys_path=["/usr/local/lib/python313.zip", "/opt/venv/lib/python3.13/site-packages"])
    for key, value in kwargs.items():
        setattr(facts, key, value)
    return facts


def judge(check_id: str, evidence: dynamic.Evidence, **params):
    definition = dynamic.REGISTRY[check_id]
    return definition.judge(evidence, {**definition.defaults, **params})


PSYCOPG = "/opt/venv/lib/python3.13/site-packages/psycopg2/_psycopg.cpython-313-x86_64-linux-gnu.so"


def test_when_an_extension_misses_libpq_then_native_libs_fails_naming_libpq_and_libpq5():
    fs = filesystem(extensions=[PSYCOPG])
    fs.kinds.update({"/usr": "d", "/usr/bin": "d", "/usr/bin/apt-get": "f"})
    evidence = dynamic.Evidence(filesystem=fs,
                                runtime=runtime(libraries={PSYCOPG: ["libpq.so.5"]}, libraries_by="ELF"))
    outcome = judge("native_libs", evidence)
    assert not outcome.passed
    assert "libpq.so.5" in outcome.message and "install the runtime package libpq5" in outcome.message
    assert "psycopg2/_psycopg" in outcome.message


def test_when_the_import_fails_then_app_imports_names_the_missing_library():
    error = "Traceback...\nImportError: libpq.so.5: cannot open shared object file: No such file or directory\n"
    outcome = judge("app_imports", dynamic.Evidence(runtime=runtime(imports={"main": (False, error)})))
    assert not outcome.passed and "libpq.so.5" in outcome.message and "libpq5" in outcome.message


def test_compilers_fail_the_tools_check():
    fs = filesystem(compilers=["/usr/bin/gcc", "/usr/bin/x86_64-linux-gnu-gcc-14"])
    outcome = judge("no_compilers", dynamic.Evidence(filesystem=fs))
    assert not outcome.passed and "/usr/bin/gcc" in outcome.message
    assert judge("no_compilers", dynamic.Evidence(filesystem=filesystem())).passed


def test_headers_count_except_the_interpreters_own_and_site_packages():
    fs = filesystem(headers=[("/usr/local/include/python3.13/Python.h", 4000),
                             ("/opt/venv/lib/python3.13/site-packages/numpy/core/include/numpy/arrayobject.h", 100)]
                    + [(f"/usr/include/postgresql/h{i}.h", 1000) for i in range(3)])
    assert judge("no_headers", dynamic.Evidence(filesystem=fs, runtime=runtime())).passed
    assert not judge("no_headers", dynamic.Evidence(filesystem=fs, runtime=runtime()), max_files=2).passed


def test_a_pip_cache_over_the_allowance_fails():
    fs = filesystem(caches={"/root/.cache/pip": 40_000_000})
    outcome = judge("no_pip_cache", dynamic.Evidence(filesystem=fs))
    assert not outcome.passed and "/root/.cache/pip" in outcome.message


def test_wasted_bytes_subtract_the_base_images_own():
    evidence = dynamic.Evidence(image=image(size=200_000_000), filesystem=filesystem(total_bytes=180_000_000),
                                base_wasted_bytes=3_000_000)
    assert evidence.wasted_bytes == 17_000_000
    assert not judge("wasted_bytes", evidence).passed
    assert judge("wasted_bytes", evidence, max_bytes=20_000_000).passed


def test_image_size_compares_ratios_with_the_reference_and_the_baseline():
    evidence = dynamic.Evidence(image=image(size=300_000_000),
                                reference=dynamic.SizeReference("reference", 200_000_000, "ref"),
                                baseline=dynamic.SizeReference("baseline", 1_000_000_000, "base"))
    outcome = judge("image_size", evidence)
    assert not outcome.passed and "1.50x the reference" in outcome.message and outcome.details["ratio_to_baseline"] == 0.3
    assert judge("image_size", evidence, max_ratio_to_reference=1.6).passed


def test_same_python_catches_a_venv_and_extensions_from_another_python():
    fs = filesystem(extensions=["/opt/venv/lib/python3.12/site-packages/x/_x.cpython-312-x86_64-linux-gnu.so"],
                    venvs={"/opt/venv": "home = /usr/local/bin\nversion = 3.12.8\n"},
                    site_dirs={"/opt/venv/lib/python3.12/site-packages": 40})
    outcome = judge("same_python", dynamic.Evidence(filesystem=fs, runtime=runtime(
        sys_path=["/opt/venv/lib/python3.13/site-packages"])))
    assert not outcome.passed
    assert "Python 3.12" in outcome.message and "3.13.5" in outcome.message


def test_same_python_accepts_abi3_extensions_and_a_matching_prefix_install():
    fs = filesystem(extensions=["/usr/local/lib/python3.13/site-packages/pydantic_core/_core.cpython-313-x86_64-linux-gnu.so",
                                "/usr/local/lib/python3.13/site-packages/cryptography/_rust.abi3.so"],
                    site_dirs={"/usr/local/lib/python3.13/site-packages": 900, "/usr/lib/python3/dist-packages": 3})
    assert judge("same_python", dynamic.Evidence(filesystem=fs, runtime=runtime(
        sys_path=["/usr/local/lib/python3.13/site-packages"]))).passed


def test_cache_reuse_fails_when_an_install_step_reran_and_passes_when_all_came_from_cache():
    rebuilt = dynamic.CacheFacts("main.py", [("RUN pip install -r requirements.txt", False)], stopped_early=True)
    outcome = judge("cache_reuse", dynamic.Evidence(cache=rebuilt))
    assert not outcome.passed and "main.py" in outcome.message and "pip install" in outcome.message
    assert judge("cache_reuse", dynamic.Evidence(cache=dynamic.CacheFacts("main.py", [("RUN uv sync", True)]))).passed
    assert not judge("cache_reuse", dynamic.Evidence(cache=dynamic.CacheFacts("main.py", []))).passed


def test_every_check_says_not_checked_when_it_has_no_evidence():
    for check in dynamic.all_checks():
        outcome = check.judge(dynamic.Evidence(), dict(check.defaults))
        assert not outcome.passed and outcome.message, check.id


def test_the_runtime_interpreter_follows_the_commands_shebang_through_links():
    fs = filesystem(kinds={"/opt": "d", "/opt/venv": "d", "/opt/venv/bin": "d", "/opt/venv/bin/uvicorn": "f",
                           "/opt/venv/bin/python": "l", "/usr": "d", "/usr/local": "d", "/usr/local/bin": "d",
                           "/usr/local/bin/python3": "l", "/usr/local/bin/python3.13": "f"},
                    links={"/opt/venv/bin/python": "/usr/local/bin/python3", "/usr/local/bin/python3": "python3.13"},
                    heads={"/opt/venv/bin/uvicorn": b"#!/opt/venv/bin/python\nimport sys\n"})
    assert fs.resolve("/opt/venv/bin/python") == "/usr/local/bin/python3.13"
    path, how = probes.runtime_interpreter(image(), fs)
    assert path == "/opt/venv/bin/python" and "#!/opt/venv/bin/python" in how
    path, how = probes.runtime_interpreter(image(cmd=("python", "-m", "app")), fs)
    assert path == "/opt/venv/bin/python"
    path, how = probes.runtime_interpreter(image(cmd=("/entrypoint.sh",)), fs)
    assert path == "/opt/venv/bin/python" and "PATH" in how


def test_the_app_module_comes_from_the_command():
    assert probes.app_modules(image()) == ("main",)
    assert probes.app_modules(image(cmd=("gunicorn", "-k", "uvicorn.workers.UvicornWorker", "app.web:create()"))) == ("app.web",)
    assert probes.app_modules(image(cmd=("python", "-m", "service"))) == ("service",)
    assert probes.app_modules(image(cmd=("python", "-m", "uvicorn", "api:app"))) == ("api",)
    assert probes.app_modules(image(cmd=("./run.sh",))) == ("main",)


def test_the_probed_port_is_the_course_port_unless_expose_says_otherwise():
    assert probes.container_port(image(), 8000) == 8000
    assert probes.container_port(image(exposed=("8000/tcp", "9000/tcp")), 8000) == 8000
    assert probes.container_port(image(exposed=("8080/tcp",)), 8000) == 8080


def _layer_facts() -> probes.LayerFacts:
    """Base (1 layer, 100 MB, hid 2 MB of its own), then the learner's: 30 MB written, 21 MB of it hidden later."""
    facts = probes.LayerFacts(
        layers=[probes.LayerFact("sha256:a", 100_000_000, "ADD base"), probes.LayerFact("sha256:b", 30_000_000, "RUN fetch"),
                probes.LayerFact("sha256:c", 0, "RUN rm /tmp/big.bin")],
        final_bytes=107_000_000,
        wasted_files=[probes.WastedFile("/tmp/big.bin", 21_000_000, 1, 2), probes.WastedFile("/var/base.old", 2_000_000, 0, 0)],
        kept_by_layer=[98_000_000, 9_000_000, 0],
    )
    return facts


def test_wasted_bytes_from_the_layers_name_the_largest_hidden_file_with_the_instructions_that_added_and_hid_it():
    evidence = dynamic.Evidence(image=image(size=64_000_000), layers=_layer_facts(), base_layers=1)
    assert evidence.size_bytes == 130_000_000, "the layers' measure, not the engine's compressed figure"
    assert evidence.wasted_bytes == 21_000_000, "the base image's own hidden file is left out"
    outcome = judge("wasted_bytes", evidence)
    assert not outcome.passed
    assert "/tmp/big.bin" in outcome.message and "RUN fetch" in outcome.message and "RUN rm /tmp/big.bin" in outcome.message
    assert outcome.details["wasted_files"][0]["path"] == "/tmp/big.bin"


def test_efficiency_is_what_the_learners_layers_keep_of_what_they_write_and_a_teacher_sets_the_bar():
    evidence = dynamic.Evidence(image=image(), layers=_layer_facts(), base_layers=1)
    outcome = judge("efficiency", evidence)
    assert not outcome.passed and outcome.details["efficiency"] == 0.3
    assert judge("efficiency", evidence, min_efficiency=0.25).passed


def test_when_an_image_without_a_package_manager_misses_libpq_then_native_libs_says_to_copy_it():
    fs = filesystem(extensions=[PSYCOPG])
    fs.kinds.update({"/usr": "d", "/usr/bin": "d", "/usr/bin/apt-get": "d"})  # a folder: no package manager
    evidence = dynamic.Evidence(filesystem=fs, runtime=runtime(libraries={PSYCOPG: ["libpq.so.5"]}, libraries_by="ELF",
                                                              error="no interpreter"))
    outcome = judge("native_libs", evidence)
    assert not outcome.passed
    assert "no package manager: COPY libpq.so.5" in outcome.message and "from a stage that installs libpq5" in outcome.message


def test_when_the_engine_could_not_read_the_image_then_every_check_that_needed_it_blames_the_machine_not_the_image():
    from checker.checks import REGISTRY

    unread = "the image's filesystem could not be read: the export stopped"
    evidence = dynamic.Evidence(image=image(), filesystem_error=unread)
    blamed = {}
    for check in REGISTRY.values():
        if "filesystem" not in check.needs or "health" in check.needs or check.repeatable:  # no health probe here
            continue
        outcome = check.judge(evidence, check.defaults)
        if outcome.not_judged is not None:
            blamed[check.id] = (outcome.not_judged, outcome.machine)
    assert {"no_compilers", "no_headers", "native_libs", "same_python", "wasted_bytes"} <= set(blamed), blamed
    assert all(blame == (unread, True) for blame in blamed.values()), blamed
    # No image at all is the submission's (its build failed): not the machine's.
    nothing = REGISTRY["no_compilers"].judge(dynamic.Evidence(), REGISTRY["no_compilers"].defaults)
    assert nothing.not_judged == "there is no image" and not nothing.machine


def test_when_the_health_probe_itself_failed_then_health_is_not_judged_at_the_machines_cost_but_a_silent_app_fails():
    from checker.probes import HealthFacts

    broken = dynamic.REGISTRY["health"].judge(
        dynamic.Evidence(image=image(), health=HealthFacts(ok=False, error="the health probe itself failed (KeyError: 'x')",
                                                           machine=True)), {})
    assert broken.machine and broken.not_judged == "the health probe itself failed (KeyError: 'x')"
    silent = dynamic.REGISTRY["health"].judge(
        dynamic.Evidence(image=image(), health=HealthFacts(ok=False, error="GET /health got no answer within 30 s.")), {})
    assert not silent.passed and silent.not_judged is None and not silent.machine


def test_when_the_container_dies_on_a_missing_shared_library_then_health_says_which_and_to_install_its_runtime_package():
    # Found by a new-user trial: the app died on libpq.so.5 and health's only advice was the exec-form CMD.
    from checker.probes import HealthFacts

    logs = ("Traceback (most recent call last):\n  File \"/app/main.py\", line 3, in <module>\n    import psycopg2\n"
            "ImportError: libpq.so.5: cannot open shared object file: No such file or directory\n")
    outcome = dynamic.REGISTRY["health"].judge(dynamic.Evidence(image=image(), health=HealthFacts(
        ok=False, error="The container exited (code 1) before answering.", logs=logs, exit_code=1)), {})
    assert not outcome.passed and outcome.details["missing_library"] == "libpq.so.5"
    assert "cannot load libpq.so.5" in outcome.message and "libpq5" in outcome.message
    other = dynamic.REGISTRY["health"].judge(dynamic.Evidence(image=image(), health=HealthFacts(
        ok=False, error="GET /health got no answer within 30 s.", logs="Uvicorn running on http://127.0.0.1:8000\n")), {})
    assert "missing_library" not in other.details and "cannot load" not in other.message


def test_when_the_app_dies_with_a_traceback_then_health_quotes_the_exception_line_not_the_code_line_above_it():
    # From the third trial: "Last output: ) | ImportError: ..." quoted the end of a code line.
    from checker.probes import HealthFacts

    logs = ("Traceback (most recent call last):\n  File \"/app/main.py\", line 3, in <module>\n"
            "    app = create_app(\n          ^^^^^^^^^^^\n)\nModuleNotFoundError: No module named 'fastapi'\n")
    outcome = dynamic.REGISTRY["health"].judge(dynamic.Evidence(image=image(), health=HealthFacts(
        ok=False, error="The container stopped (exit code 1) before answering GET /health.", logs=logs, exit_code=1)), {})
    assert "Last output: ModuleNotFoundError: No module named 'fastapi'" in outcome.message, outcome.message
    plain = dynamic.REGISTRY["health"].judge(dynamic.Evidence(image=image(), health=HealthFacts(
        ok=False, error="GET /health got no answer within 30 s.", logs="starting\nlistening on 127.0.0.1:8000\n")), {})
    assert "Last output: starting | listening on 127.0.0.1:8000" in plain.message
