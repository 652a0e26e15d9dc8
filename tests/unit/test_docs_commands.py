"""Every command the README and samples/README show still works, so none can go stale.

`make` targets must exist; our own `python -m` modules must answer `--help`; the offline dry runs are run as
written (in a scratch folder), and the sample generator must reproduce the committed sample byte for byte.
The commands against a running stack (`make run`, `drop`, `status`, ...) are run by `make run ONCE=1`, the
e2e layer and `make rehearse`.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "samples" / "README.md", ROOT / "docs" / "architecture.md",
        ROOT / "docs" / "deploy.md", ROOT / "tools" / "functions-devhost" / "README.md",
        ROOT / "tools" / "servicebus-emulator" / "README.md"]  # fmt: skip
OURS = ("shared.", "localdev.", "samples.", "bench.", "servicebus_emulator", "functions_devhost", "ops")


def _commands(path: Path) -> list[str]:
    """Lines of fenced shell blocks (```, ```bash, ```sh), with `\\` continuations joined."""
    found, inside, lang = [], False, ""
    pending = ""
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            inside, lang = (not inside), line[3:].strip()
            continue
        if inside and lang in ("", "bash", "sh"):
            text = pending + line.split("  #")[0].strip()
            if text.endswith("\\"):
                pending = text[:-1] + " "
                continue
            pending = ""
            if text and not text.startswith("#"):
                found.append(text)
    return found


ALL = [(path.relative_to(ROOT).as_posix(), command)
       for path in DOCS for command in _commands(path)]  # fmt: skip
TARGETS = set(re.findall(r"^([a-z][a-z0-9-]*):", (ROOT / "Makefile").read_text(), re.MULTILINE))


@pytest.mark.parametrize("where, command", [c for c in ALL if c[1].startswith("make ")])
def test_each_make_target_exists(where: str, command: str) -> None:
    target = shlex.split(command)[1]
    assert target in TARGETS, f"{where}: `{command}` names no Makefile target"


def _module(command: str) -> tuple[str, list[str]] | None:
    words = shlex.split(command)
    for index, word in enumerate(words[:-1]):
        if word == "-m" and words[index + 1].startswith(OURS):
            return words[index + 1], words[index + 2:]
    return None


MODULES = sorted({m[0] for _, c in ALL if (m := _module(c))})


@pytest.mark.parametrize("module", MODULES)
def test_each_module_a_document_names_answers_help(module: str) -> None:
    done = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr


def _ops_command(args: list[str]) -> str:
    """The command word of `python -m ops [--target T] [--env E] COMMAND ...`."""
    words = iter(args)
    for word in words:
        if word in ("--target", "--env"):
            next(words, None)
        elif not word.startswith("-"):
            return word
    return "--help"


@pytest.mark.parametrize("where, command", [c for c in ALL if (_module(c[1]) or ("",))[0] == "ops"])
def test_each_ops_command_a_document_names_exists(where: str, command: str) -> None:
    name = _ops_command((_module(command) or ("", []))[1])
    done = subprocess.run([sys.executable, "-m", "ops", name, "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, f"{where}: `{command}` names no ops command: {done.stderr}"


def _running(module: str) -> list[tuple[str, str]]:
    return [c for c in ALL if (_module(c[1]) or ("",))[0] == module]


@pytest.mark.parametrize("where, command", _running("shared.cli"))
def test_each_dry_run_in_the_docs_passes_as_written(where: str, command: str, tmp_path: Path) -> None:
    module, args = _module(command) or ("", [])
    args = [str(tmp_path / "out.xml") if a.startswith("/tmp/") else a for a in args]
    done = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, f"{where}: `{command}` -> {done.returncode}\n{done.stdout}{done.stderr}"
    assert not list((ROOT / "samples" / "incoming").rglob("*.xml")), "the dry run wrote into samples/"
    for leftover in ROOT.glob("*.pain001.xml"):
        leftover.unlink()


@pytest.mark.parametrize("where, command", _running("samples.generate"))
def test_the_sample_generator_reproduces_the_committed_sample(where: str, command: str,
                                                              tmp_path: Path) -> None:  # fmt: skip
    module, args = _module(command) or ("", [])
    target = ROOT / args[args.index("--out") + 1]
    args[args.index("--out") + 1] = str(tmp_path / "generated.csv")
    subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, check=True, timeout=120)
    assert (tmp_path / "generated.csv").read_bytes() == target.read_bytes(), f"{where}: `{command}`"
