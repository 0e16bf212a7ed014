"""Exit statuses a script can rely on: 0 ok, 1 findings, 2 usage or input error, 141 the reader of our output
went away (what a shell reports for SIGPIPE) — never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from modelmonitor.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_validate_exits_2_for_a_missing_file_and_1_for_an_invalid_manifest(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml: no such file or directory" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["validate", str(tmp_path / "empty")]) == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text((REPO / "examples" / "minimal.yaml").read_text().replace("region: us-east-1", "region: mars"))
    assert main(["validate", str(bad)]) == 1
    assert main(["validate", str(REPO / "examples" / "minimal.yaml")]) == 0


@pytest.mark.parametrize("command", ["validate", "render"])
def test_help_has_a_description_and_the_exit_statuses(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "exit status: 0" in text and "2 usage error" in text
    assert len(text.split("\n\n")[1]) > 40  # a description paragraph after the usage


@pytest.mark.parametrize("output", ["table", "json"])
def test_a_reader_that_stops_early_gets_no_traceback(output: str) -> None:
    """`modelmonitor render … | head -1`: the pipe closes after one line."""
    reader = subprocess.Popen(["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    writer = subprocess.run([sys.executable, "-m", "modelmonitor.cli", "render", str(REPO / "examples" / "full.yaml"),
                             "--analyzer-image-pushed", "--output", output], stdout=reader.stdin,
                            stderr=subprocess.PIPE, text=True, timeout=300, check=False)
    assert reader.stdin is not None
    reader.stdin.close()
    reader.wait(timeout=30)
    assert "Traceback" not in writer.stderr, writer.stderr
    assert writer.returncode in (0, 141), (writer.returncode, writer.stderr)


def _run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "modelmonitor.cli", *args], capture_output=True, text=True,
                          timeout=300, check=False, env=env, cwd=cwd)


@pytest.mark.parametrize("command", [[], ["analyze"], ["baseline"], ["run-now"], ["demo"], ["crd"], ["validate"],
                                     ["render"]])
def test_every_help_has_a_description_and_exit_statuses(command: list[str]) -> None:
    # COLUMNS: argparse wraps to the terminal; a wide one keeps phrases on one line for the assertions.
    done = _run(*command, "--help", env={**os.environ, "COLUMNS": "400"})
    assert done.returncode == 0, done.stderr
    paragraphs = done.stdout.split("\n\n")
    assert len(paragraphs[1].strip()) > 60 and not paragraphs[1].lstrip().startswith(("positional", "options")), \
        paragraphs[1]
    assert "exit status: 0 " in done.stdout and " 2 usage" in done.stdout


def test_methods_help_names_every_method_the_analyzer_accepts() -> None:
    from modelmonitor.analyzer.methods import CUSTOM_METHODS

    text = " ".join(_run("analyze", "--help", env={**os.environ, "COLUMNS": "400"}).stdout.split())
    start = text.index("drift methods reported beside")
    methods_help = text[start:text.index("--comparison-method {", start)]
    for method in CUSTOM_METHODS:
        assert f"{method} (" in methods_help, method
    assert "L∞ always runs" in methods_help


def _without_aws(home: Path) -> dict[str, str]:
    """This machine's environment with every source of AWS credentials taken away (botocore's chain: env, shared
    files, container and instance metadata)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {**env, "HOME": str(home), "AWS_SHARED_CREDENTIALS_FILE": str(home / "none"),
            "AWS_CONFIG_FILE": str(home / "none"), "AWS_EC2_METADATA_DISABLED": "true"}


def test_run_now_without_credentials_says_what_to_do_and_exits_2(tmp_path: Path) -> None:
    """botocore's own NoCredentialsError, raised when the first request is signed (nothing leaves the machine)."""
    manifest = str(REPO / "examples" / "minimal.yaml")
    done = _run("run-now", manifest, "--no-wait", "--timeout", "5", env=_without_aws(tmp_path))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no usable AWS credentials"), done.stderr
    assert "AWS_PROFILE" in lines[0] and "--debug" in lines[0]
    debug = _run("run-now", manifest, "--no-wait", "--timeout", "5", "--debug", env=_without_aws(tmp_path))
    assert "Traceback" in debug.stderr and "botocore.exceptions.NoCredentialsError" in debug.stderr
    assert debug.returncode == 1  # Python's own status for an uncaught exception: --debug changes nothing else


def test_no_region_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """botocore's NoRegionError from a client created without a region (the manifest always names one, so the
    command is made to forget it here)."""
    import boto3

    from modelmonitor.commands import run_now

    for name, value in _without_aws(tmp_path).items():
        monkeypatch.setenv(name, value)
    for name in [k for k in os.environ if k.startswith("AWS_") and k not in _without_aws(tmp_path)]:
        monkeypatch.delenv(name)

    def regionless(*_: object, client: Any, **__: object) -> object:
        return boto3.client("sagemaker").list_endpoints()

    monkeypatch.setattr(run_now, "execute", regionless)
    assert main(["run-now", str(REPO / "examples" / "minimal.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no AWS region: set AWS_REGION") and err.count("\n") == 1


def test_render_table_at_80_columns_keeps_every_type_and_name_whole(tmp_path: Path) -> None:
    """The types and names come from the JSON view of the same plan; the table may wrap only between words, and
    a type token longer than the screen only at its joints (after `:` or `/`)."""
    manifest = str(REPO / "examples" / "full.yaml")
    # full.yaml runs our analyzer image under modelMonitor: render needs to know it is pushed.
    plan = json.loads(_run("render", manifest, "--analyzer-image-pushed", "--output", "json").stdout)
    done = _run("render", manifest, "--analyzer-image-pushed", env={**os.environ, "COLUMNS": "80"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    words = {w for line in lines for w in line.split()}
    shown = [r for r in plan if not r["type"].startswith("pulumi:providers:")]
    assert shown
    long_types = 0
    for r in shown:
        assert r["name"] in words, r["name"]
        if r["type"] in words:
            continue
        long_types += 1
        assert len(r["type"]) > 70, r["type"]  # only a type that cannot fit with its count is broken
        start = next(i for i, line in enumerate(lines) if line and r["type"].startswith(line))
        pieces = [lines[start]]
        while not (pieces[-1][-1] not in ":/" or "".join(pieces) == r["type"]):
            pieces.append(lines[start + len(pieces)].split()[0])
        assert "".join(pieces) == r["type"], pieces
        assert all(p[-1] in ":/" for p in pieces[:-1]), pieces  # each break after a joint
    assert long_types >= 1  # examples/full.yaml has an 84-character type: the breaking rule is exercised
