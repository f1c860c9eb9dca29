"""Project plumbing: CI runs exactly the README's test command."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Set-up.*?```bash\n(.*?)```", text, re.S)
    assert block, "README has no set-up block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_setup_is_two_commands():
    cmds = readme_commands()
    assert len(cmds) == 2
    assert cmds[0].startswith("pip install -e .")


def test_ci_runs_readme_test_command_verbatim():
    test_cmd = readme_commands()[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_cmd in ci.splitlines()
    assert "torch==2.13.0" in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
