"""scripts/setup.sh refuses, with a message that says what to do, a Python the pins cannot install on."""
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _fake_python(path: Path, version: str) -> Path:
    """An executable that answers the script's version questions as Python ``version`` would."""
    major, minor = version.split(".")
    path.write_text(f"""#!/bin/sh
case "$*" in
  *"print("*) echo {version};;
  *) [ {major} -eq 3 ] && [ {minor} -ge 10 ] && [ {minor} -lt 13 ];;
esac
""")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def checkout(tmp_path):
    """A copy of the files setup.sh reads, so nothing touches this checkout's .venv."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup.sh", tmp_path / "scripts")
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def _setup(checkout, **env):
    return subprocess.run(["bash", "scripts/setup.sh"], cwd=checkout, capture_output=True, text=True, timeout=60,
                          env={**os.environ, **env})


def test_a_python_too_new_for_numpy_1_is_refused_before_anything_is_made(checkout):
    (checkout / "my pythons").mkdir()
    py = _fake_python(checkout / "my pythons" / "python3.13", "3.13")  # a path with a space: one interpreter
    r = _setup(checkout, PYTHON=str(py))
    assert r.returncode == 1
    assert "3.13" in r.stderr and "3.10-3.12" in r.stderr and "PYTHON=python3.12" in r.stderr
    assert not (checkout / ".venv").exists()


def test_a_venv_of_an_unsupported_python_is_named_with_the_fix(checkout):
    (checkout / ".venv" / "bin").mkdir(parents=True)
    _fake_python(checkout / ".venv" / "bin" / "python", "3.13")
    r = _setup(checkout)
    assert r.returncode == 1
    assert ".venv has Python 3.13" in r.stderr and "Remove .venv" in r.stderr


def test_the_declared_python_range_is_the_one_setup_checks():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.10,<3.13"' in text
    assert "(3, 10) <= sys.version_info[:2] < (3, 13)" in (ROOT / "scripts" / "setup.sh").read_text()
