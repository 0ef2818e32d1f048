"""The runtime probe's script, run by this machine's Python with the modules a trimmed standard
library may lack blocked: it still reports the version, the ABI and each import's outcome."""

from __future__ import annotations

import ast
import subprocess
import sys

from checker.probes.runtime import PROBE_SCRIPT


def run_probe(modules: list[str], *, timeout: float = 10, block=("subprocess", "sysconfig")) -> dict:
    blocked = "".join(f"sys.modules[{name!r}] = None; " for name in block)
    script = PROBE_SCRIPT.replace("__ARGS__", repr({"modules": modules, "import_timeout": timeout}))
    done = subprocess.run([sys.executable, "-c", f"import sys; {blocked}\n{script}"], capture_output=True, text=True,
                          timeout=120, cwd="/")
    line = next((l for l in done.stdout.splitlines() if l.startswith("LPI-PROBE ")), None)
    assert line is not None, f"the probe printed no answer: {done.stderr[-500:]}"
    return ast.literal_eval(line[len("LPI-PROBE "):])


def test_without_subprocess_and_sysconfig_the_probe_still_reports_the_interpreter_and_each_import():
    data = run_probe(["json", "no_such_module_lpi"])
    assert data["version"] == "%d.%d.%d" % sys.version_info[:3]
    assert data["soabi"].startswith(sys.implementation.cache_tag)
    assert data["imports"]["json"] == {"ok": True, "output": ""}
    assert not data["imports"]["no_such_module_lpi"]["ok"]
    assert "No module named 'no_such_module_lpi'" in data["imports"]["no_such_module_lpi"]["output"]


def test_an_import_that_hangs_is_stopped_at_its_deadline():
    data = run_probe(["time; time.sleep(60)"], timeout=1)
    assert data["imports"]["time; time.sleep(60)"] == {"ok": False, "output": "the import did not finish in time"}
