"""The README's "Your first cleared leaflet" path, run as its reader would: its
commands, taken from the README itself, in a copy of the project, end with the
leaflet cleared. (A review bound to desk users once broke the path silently.)"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, child_env, copy_inputs

COMMANDS = ("make install", "cat > ", "sed -i ", ".venv/bin/leafletgen ")


def walkthrough() -> str:
    """The section's command blocks as one shell script (its output blocks left out)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Your first cleared leaflet", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"(?:^    .*\n|^\n)+", section, re.MULTILINE)
    script = []
    for block in blocks:
        lines = [line[4:] for line in block.splitlines() if line.strip()]
        if lines and lines[0].startswith(COMMANDS):
            script += lines
    return "\n".join(script) + "\n"


def runnable(script: str) -> str:
    """The script as a test runs it: this interpreter instead of the virtual
    environment, nothing installed, no pager, the password given on stdin."""
    script = script.replace("make install\n", "")
    script = script.replace(".venv/bin/leafletgen", f"{sys.executable} -m leafletgen")
    script = script.replace(" | less", " > /dev/null")
    return re.sub(
        r"^(.* users add .*)$",
        r"echo 'fictional password for a test' | \1 --password-stdin",
        script,
        flags=re.MULTILINE,
    )


def test_the_readme_walkthrough_has_its_steps():
    script = walkthrough()
    for step in ("cat > leaflets/my-first-leaflet.yaml", "users add", "sources review", "--strict"):
        assert step in script, step


@pytest.mark.slow
def test_the_readme_walkthrough_ends_with_a_cleared_leaflet(tmp_path: Path):
    project = copy_inputs(tmp_path / "project").root
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[user]\n\tname = Fictional Reader\n", encoding="utf-8")
    done = subprocess.run(
        ["bash", "-e", "-c", runnable(walkthrough())],
        cwd=project,
        capture_output=True,
        text=True,
        env=child_env() | {"GIT_CONFIG_GLOBAL": str(gitconfig)},
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 cleared, 0 not cleared for distribution; 0 finding(s)" in done.stdout
    reference = json.loads((project / "out/en/my-first-leaflet.fhir.json").read_text())
    assert reference["docStatus"] == "final"
    trail = (project / "desk/audit.jsonl").read_text(encoding="utf-8").splitlines()
    actions = [json.loads(line)["action"] for line in trail]
    assert actions[:2] == ["users.add", "sources.review"] and "build" in actions
