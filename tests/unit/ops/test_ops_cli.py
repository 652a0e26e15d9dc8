"""`python -m ops` turns every failure into one line and an exit code (1 not found, 2 a request to change,
3 unreachable), never a traceback; and every command the Makefile calls is one it knows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError

from localdev.stack.processes import StackError
from ops.cli import _explain, _parser, main
from ops.errors import NotFoundError, OpsError

pytestmark = pytest.mark.unit
MAKEFILE = Path(__file__).resolve().parents[3] / "Makefile"


@pytest.mark.parametrize("error, code", [
    (NotFoundError("no timeline for 'x'"), 1),
    (OpsError("--sender 'a/b' is not a sender id"), 2),
    (StackError("The local stack is not running"), 2),
    (ServiceRequestError("Connection refused\\nmore detail"), 3),
    (ClientAuthenticationError("token expired"), 3),
])  # fmt: skip
def test_each_failure_is_one_line_with_its_exit_code(error: Exception, code: int) -> None:
    message, exit_code = _explain(error, "azd")
    assert exit_code == code and "\n" not in message and message


def test_a_bug_is_not_dressed_up_as_an_operator_error() -> None:
    with pytest.raises(KeyError):
        _explain(KeyError("x"), "local")


def test_an_azd_environment_that_is_not_there_says_what_to_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--target", "azd", "--env", "no-such-env-for-tests", "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ops list: azd environment 'no-such-env-for-tests'") and "azd env refresh" in err
    assert len(err.strip().splitlines()) == 1


def test_every_ops_command_the_makefile_runs_is_one_ops_knows() -> None:
    calls = re.findall(r"\$\(PY\) -m ops (.+)", MAKEFILE.read_text())
    commands = {next(w for w in call.split() if re.fullmatch(r"[a-z]+", w)) for call in calls}
    assert commands == {"drop", "status", "list", "deadletters", "reference", "replay", "smoke", "report"}
    for command in commands:  # each parses with the arguments it needs
        _parser().parse_args([command, *(["x"] if command in ("status", "replay", "report", "drop") else [])])
