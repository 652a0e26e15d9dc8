"""The azd postdeploy hooks: they subscribe the right function, agree with each other, with Bicep's
outputs and with the app, and the POSIX one really works (run against fake `az`/`azd`/`curl`).

PowerShell is not installed here, so postdeploy.ps1 is checked statically only (its constants, its `az`
arguments, balanced brackets); run it once on Windows where a network exists.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from app_bindings import AppIndex
from bicep_checks import INFRA_DIR, REPO_ROOT, body, one_resource, parse_bicep

pytestmark = pytest.mark.infra

SH_HOOK = INFRA_DIR / "hooks" / "postdeploy.sh"
PS_HOOK = INFRA_DIR / "hooks" / "postdeploy.ps1"
WEBHOOK = "/runtime/webhooks/blobs?functionName=Host.Functions."
SUBSCRIPTION_TEMPLATE = INFRA_DIR / "modules" / "blob-event-subscription.bicep"
AZD_BUILT_INS = {"AZURE_SUBSCRIPTION_ID"}  # set by azd itself, not a Bicep output


def _sh_constants() -> dict[str, str]:
    return dict(re.findall(r'^([A-Z_]+)="([^"$]*)"', SH_HOOK.read_text(), re.M))


def _ps_constants() -> dict[str, str]:
    return dict(re.findall(r"^\$(\w+) = '([^']*)'", PS_HOOK.read_text(), re.M))


def test_both_hooks_name_the_same_function_container_and_subscription() -> None:
    sh, ps = _sh_constants(), _ps_constants()
    pairs = {"FUNCTION_NAME": "FunctionName", "BLOB_CONTAINER": "BlobContainer",
             "EVENT_SUBSCRIPTION": "EventSubscription", "REFERENCE_CONTAINER": "ReferenceContainer",
             "REFERENCE_BLOB": "ReferenceBlob"}
    for sh_name, ps_name in pairs.items():
        assert sh[sh_name] == ps[ps_name], f"postdeploy.sh {sh_name}={sh[sh_name]!r} != ps1 ${ps_name}"
    assert sh["FUNCTION_NAME"] == "FileValidator"
    assert re.fullmatch(r"[A-Za-z0-9]{3,64}", sh["EVENT_SUBSCRIPTION"]), "Event Grid: 3-64 letters/digits"


def test_hooks_build_the_blob_extension_webhook() -> None:
    sh_url = 'endpoint="https://${AZURE_FUNCTION_APP_HOSTNAME}' + WEBHOOK + '${FUNCTION_NAME}&code=${key}"'
    assert sh_url in SH_HOOK.read_text()
    assert "https://$AppHostName" + WEBHOOK + "$FunctionName&code=" in PS_HOOK.read_text()
    for hook in (SH_HOOK, PS_HOOK):
        assert "Host.Functions.FileValidator" in hook.read_text(), f"{hook.name} does not name the function"


@pytest.mark.parametrize("hook", [SH_HOOK, PS_HOOK], ids=lambda p: p.name)
def test_hook_subscription_arguments(hook: Path) -> None:
    text = hook.read_text()
    for argument in ("functionapp keys list", "systemKeys.blobs_extension", "deployment group create",
                     "--template-file", "infra/modules/blob-event-subscription.bicep"):
        assert argument in text, f"{hook.name} lacks {argument!r}"
    block = text.split("--parameters", 1)[1].split("--only-show-errors", 1)[0]
    passed = set(re.findall(r"^\s+\"?(\w+)=", block, re.M))
    template = parse_bicep(SUBSCRIPTION_TEMPLATE)["parameters"]
    required = {n for n, p in template.items() if p.get("default") is None}
    assert passed <= set(template), f"{hook.name} passes unknown parameters {sorted(passed - set(template))}"
    assert required <= passed, f"{hook.name} does not pass {sorted(required - passed)}"


@pytest.mark.parametrize("hook", [SH_HOOK, PS_HOOK], ids=lambda p: p.name)
def test_hook_never_prints_the_key(hook: Path) -> None:
    for number, line in enumerate(hook.read_text().splitlines(), 1):
        if re.search(r"\b(echo|info|warn|Write-\w+|Stop-Hook)\b", line):
            assert not re.search(r"\$\{?(key|endpoint)\b", line), f"{hook.name}:{number} may print the key"


def test_hook_inputs_are_bicep_outputs(main_doc: dict[str, Any]) -> None:
    outputs = set(main_doc["outputs"])
    loop = SH_HOOK.read_text().split("for name in", 1)[1].split("do", 1)[0]
    sh_needs = set(re.findall(r"\bAZURE_[A-Z_]+\b", loop))
    ps_needs = set(re.findall(r"Get-Required '(\w+)'", PS_HOOK.read_text()))
    assert sh_needs == ps_needs, f"the hooks read different settings: {sorted(sh_needs ^ ps_needs)}"
    missing = sh_needs - outputs - AZD_BUILT_INS
    assert not missing, f"the hooks need values main.bicep does not output: {sorted(missing)}"


def test_hook_constants_match_topology_and_app(topology: Any, app_index: AppIndex) -> None:
    sh = _sh_constants()
    assert sh["BLOB_CONTAINER"] == topology.INCOMING_CONTAINER
    assert sh["REFERENCE_CONTAINER"] == topology.REFERENCE_CONTAINER
    assert sh["REFERENCE_BLOB"] == topology.REFERENCE_TABLE_BLOB
    assert (REPO_ROOT / "samples" / topology.REFERENCE_TABLE_BLOB).is_file(), "the hook uploads this sample"
    if app_index.unavailable:
        pytest.fail(f"cannot check FileValidator's binding: {app_index.unavailable}", pytrace=False)
    assert sh["FUNCTION_NAME"] in app_index.functions, (
        f"the hooks subscribe {sh['FUNCTION_NAME']} but the app declares {sorted(app_index.functions)}")
    [trigger] = [b for b in app_index.functions[sh["FUNCTION_NAME"]] if b["type"] == "blobTrigger"]
    assert trigger["path"].split("/", 1)[0] == sh["BLOB_CONTAINER"]
    assert trigger.get("source") == "EventGrid", "with BLOB_TRIGGER_SOURCE=EventGrid the trigger must use it"
    assert trigger["connection"] == topology.PAYMENTS_STORAGE_SETTING


def test_host_json_bundle_supports_event_grid_blob_source() -> None:
    host = REPO_ROOT / "host.json"
    if not host.exists():
        pytest.skip("host.json not written yet")
    import json

    bundle = json.loads(host.read_text())["extensionBundle"]
    assert bundle["id"] == "Microsoft.Azure.Functions.ExtensionBundle"
    assert bundle["version"].replace(" ", "").startswith("[4."), "the Event Grid blob source needs bundle 4.x"


# --- postdeploy.sh, run for real against fakes -------------------------------------------------------

FAKE_AZ = """#!/bin/sh
echo "az $*" >> "$CALLS"
case "$*" in
  "account show"*) exit 0 ;;
  "functionapp keys list"*)
    n=$(cat "$STATE/keys" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$STATE/keys"
    [ "$n" -ge "$KEY_AFTER" ] && echo "s3cr3t-key"; exit 0 ;;
  "deployment group create"*) exit 0 ;;
  "storage blob exists"*) echo "$BLOB_EXISTS"; exit 0 ;;
  "storage blob upload"*) exit 0 ;;
esac
echo "unexpected az call: $*" >&2; exit 2
"""
FAKE_CURL = """#!/bin/sh
echo "curl $*" >> "$CALLS"
"""
HOOK_ENV = {
    "AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000000",
    "AZURE_RESOURCE_GROUP": "rg-test",
    "AZURE_FUNCTION_APP_NAME": "func-abc",
    "AZURE_FUNCTION_APP_HOSTNAME": "func-abc.azurewebsites.net",
    "AZURE_STORAGE_ACCOUNT_NAME": "stabc",
    "AZURE_STORAGE_ACCOUNT_ID": "/subscriptions/0/resourceGroups/rg-test/providers/Microsoft.Storage/"
                                "storageAccounts/stabc",
    "AZURE_EVENTGRID_SYSTEM_TOPIC_NAME": "evgt-abc",
    "AZURE_EVENTGRID_DEADLETTER_CONTAINER": "eventgrid-deadletter",
}


def _run_hook(tmp_path: Path, *, key_after: int, blob_exists: str = "false",
              env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool, script in (("az", FAKE_AZ), ("curl", FAKE_CURL)):
        (bin_dir / tool).write_text(script)
        (bin_dir / tool).chmod(0o755)
    calls = tmp_path / "calls.log"
    base = {"PATH": f"{bin_dir}:/usr/bin:/bin", "CALLS": str(calls), "STATE": str(tmp_path),
            "KEY_AFTER": str(key_after), "BLOB_EXISTS": blob_exists, "POSTDEPLOY_RETRY_DELAY_SECONDS": "0",
            "POSTDEPLOY_KEY_ATTEMPTS": "3", "HOME": str(tmp_path)}
    proc = subprocess.run(["sh", str(SH_HOOK)], capture_output=True, text=True, timeout=30, check=False,
                          env={**base, **(HOOK_ENV if env is None else env)}, cwd=tmp_path)
    return proc, calls.read_text().splitlines() if calls.exists() else []


def test_sh_hook_is_valid_posix_sh() -> None:
    for shell in ("sh", "dash", "bash"):
        if shutil.which(shell):
            proc = subprocess.run([shell, "-n", str(SH_HOOK)], capture_output=True, text=True, check=False)
            assert proc.returncode == 0, f"{shell} -n: {proc.stderr}"
    if shutil.which("shellcheck"):
        proc = subprocess.run(["shellcheck", "-s", "sh", str(SH_HOOK)],
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout


def test_sh_hook_waits_for_the_key_then_subscribes_and_uploads(tmp_path: Path) -> None:
    proc, calls = _run_hook(tmp_path, key_after=2)
    assert proc.returncode == 0, proc.stderr
    assert "s3cr3t-key" not in proc.stdout + proc.stderr, "the hook printed the system key"
    assert sum("functionapp keys list" in c for c in calls) == 2
    assert any(c.startswith("curl") and "https://func-abc.azurewebsites.net/" in c for c in calls)
    [create] = [c for c in calls if "deployment group create" in c]
    url = f"https://func-abc.azurewebsites.net{WEBHOOK}FileValidator&code=s3cr3t-key"
    assert f" webhookUrl={url} " in create
    assert f"--template-file {SUBSCRIPTION_TEMPLATE} " in create
    assert " containerName=incoming " in create
    assert f" deadLetterStorageAccountId={HOOK_ENV['AZURE_STORAGE_ACCOUNT_ID']} " in create
    assert " deadLetterContainerName=eventgrid-deadletter " in create
    assert " systemTopicName=evgt-abc " in create
    assert "--resource-group rg-test " in create
    assert any(c.startswith("az storage blob upload") and "--name reference-table.json" in c for c in calls)


def test_sh_hook_keeps_an_existing_reference_table(tmp_path: Path) -> None:
    proc, calls = _run_hook(tmp_path, key_after=1, blob_exists="true")
    assert proc.returncode == 0, proc.stderr
    assert not any(c.startswith("az storage blob upload") for c in calls)
    assert "kept the existing reference/reference-table.json" in proc.stdout


def test_sh_hook_fails_precisely_without_a_key(tmp_path: Path) -> None:
    proc, calls = _run_hook(tmp_path, key_after=99)
    assert proc.returncode == 1
    assert "has no blobs_extension system key after 3 attempts" in proc.stderr
    assert "BLOB_TRIGGER_SOURCE" in proc.stderr
    assert not any("deployment group create" in c for c in calls)


def test_sh_hook_names_a_missing_output(tmp_path: Path) -> None:
    env = {k: v for k, v in HOOK_ENV.items() if k != "AZURE_EVENTGRID_SYSTEM_TOPIC_NAME"}
    proc, _ = _run_hook(tmp_path, key_after=1, env=env)
    assert proc.returncode == 1
    assert "AZURE_EVENTGRID_SYSTEM_TOPIC_NAME is not set" in proc.stderr


def test_subscription_template_wires_blob_created_to_the_webhook() -> None:
    doc = parse_bicep(SUBSCRIPTION_TEMPLATE)
    decorators = {d["type"] for d in doc["parameters"]["webhookUrl"]["decorators"]}
    assert "secure" in decorators, "webhookUrl carries the key: it must be @secure()"
    props = body(one_resource(doc, "Microsoft.EventGrid/systemTopics/eventSubscriptions"))["properties"]
    assert props["destination"]["endpointType"] == "WebHook"
    assert props["destination"]["properties"]["endpointUrl"] == "webhookUrl"
    assert props["filter"]["includedEventTypes"] == ["Microsoft.Storage.BlobCreated"]
    assert props["filter"]["subjectBeginsWith"] == "/blobServices/default/containers/${containerName}/"
    assert set(props["retryPolicy"]) == {"maxDeliveryAttempts", "eventTimeToLiveInMinutes"}
    dead_letter = props["deadLetterWithResourceIdentity"]
    assert dead_letter["identity"] == {"type": "SystemAssigned"}, "the system topic's identity has the role"
    assert dead_letter["deadLetterDestination"]["endpointType"] == "StorageBlob"
    assert "deadLetterDestination" not in props, "legacy dead-lettering needs shared keys, which are off"


def _ps_code_only(text: str) -> str:
    """PowerShell source with strings emptied and comments dropped (enough to count brackets)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if text.startswith("<#", i):
            i = text.find("#>", i) + 2 if "#>" in text[i:] else len(text)
        elif ch == "#":
            i = text.find("\n", i) if "\n" in text[i:] else len(text)
        elif ch in "'\"":
            j = i + 1
            while j < len(text) and text[j] != ch:
                j += 2 if ch == '"' and text[j] == "`" else 1
            out.append(ch * 2)
            i = j + 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def test_ps_hook_brackets_balance() -> None:
    text = _ps_code_only(PS_HOOK.read_text())
    for opening, closing in ("{}", "()", "[]"):
        assert text.count(opening) == text.count(closing), f"postdeploy.ps1: unbalanced {opening}{closing}"
    assert os.access(SH_HOOK, os.X_OK), "postdeploy.sh is not executable"
