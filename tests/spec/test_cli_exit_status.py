"""Exit statuses a script can rely on: 0 ok, 1 findings, 2 usage or input error, 141 the reader of our output
went away (what a shell reports for SIGPIPE) — never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
