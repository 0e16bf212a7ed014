"""Detection quality on NannyML's synthetic car-loan data: which features each tool flags, chunk by chunk.

NannyML's own alerts (its default Jensen-Shannon method, thresholds learnt from reference chunks) are the point of
comparison; the data set has no per-feature drift labels, so nobody here is graded against a ground truth.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import report

from tools import (
    PEERS_DIR,
    flagged_by_method,
    measure,
    modelmonitor_available,
    run_modelmonitor_analyze,
    run_modelmonitor_baseline,
    run_peer,
)

CHUNK_SIZE = 5000


def _peer_chunks(output: dict[str, Any] | None, key: str) -> dict[int, list[str]]:
    if output is None:
        return {}
    return {int(chunk[key]): chunk["drifted"] for chunk in output["chunks"]}


def _modelmonitor_chunks(executable: Path, workdir: Path, meta: dict[str, Any],
                         ) -> tuple[dict[int, list[str]], dict[int, list[str]], str]:
    """Per chunk: features with an L∞ drift violation, features our Jensen-Shannon metric flags, and a failure note."""
    available, why = modelmonitor_available(executable)
    if not available:
        return {}, {}, f"modelmonitor analyzer not available ({why})"
    baseline = run_modelmonitor_baseline(executable, workdir / "reference.csv", workdir / "mm", "mm-baseline")
    if baseline.returncode != 0:
        return {}, {}, f"baseline failed: {baseline.error_summary()}"
    violations: dict[int, list[str]] = {}
    by_js: dict[int, list[str]] = {}
    for chunk in meta["chunks"]:
        label = f"mm-chunk-{chunk['index']:02d}"
        run, drifted, _ = run_modelmonitor_analyze(executable, workdir / "mm" / "baseline", Path(chunk["path"]),
                                                   workdir / "mm", label)
        if drifted is None:
            return violations, by_js, f"analyze failed on chunk {chunk['index']}: {run.error_summary()}"
        violations[chunk["index"]] = drifted
        by_js[chunk["index"]] = sorted(flagged_by_method(workdir / "mm" / label).get("js", []))
    return violations, by_js, ""


def car_loan_quality(bench_python: Path, modelmonitor: Path, workdir: Path) -> dict[str, Any]:
    print("\n## Detection quality: NannyML synthetic car-loan data set (50,000 reference / 50,000 analysis rows, "
          f"chunks of {CHUNK_SIZE:,})", flush=True)
    export = measure("export", [str(bench_python), str(PEERS_DIR / "export_car_loan.py"), "--out", str(workdir),
                                "--chunk-size", str(CHUNK_SIZE)], workdir)
    if export.returncode != 0:
        print(f"car-loan export failed: {export.error_summary()}")
        return {"error": export.error_summary()}
    meta = json.loads((workdir / "meta.json").read_text(encoding="utf-8"))
    common = ["--reference", str(workdir / "reference.csv"), "--current", str(workdir / "analysis.csv"),
              "--chunk-column", "chunk", "--categorical", ",".join(meta["categorical"])]
    nannyml_run, nannyml_out = run_peer(bench_python, "run_nannyml.py",
                              [*common, "--chunk-size", str(CHUNK_SIZE), "--continuous-method", "jensen_shannon",
                               "--categorical-method", "jensen_shannon"], workdir, "nannyml", timeout=None)
    evidently_run, evidently_out = run_peer(bench_python, "run_evidently.py", common, workdir, "evidently",
                                            timeout=None)
    nannyml, evidently = _peer_chunks(nannyml_out, "index"), _peer_chunks(evidently_out, "key")
    modelmonitor, modelmonitor_js, mm_note = _modelmonitor_chunks(modelmonitor, workdir, meta)
    rows = []
    for chunk in meta["chunks"]:
        index = chunk["index"]
        cells = [", ".join(found[index]) or "(none)" if index in found else "-"
                 for found in (nannyml, evidently, modelmonitor, modelmonitor_js)]
        rows.append([f"{index} (rows {chunk['start']}–{chunk['end']})", *cells])
    print(report.markdown_table(["chunk", "NannyML alerts (jensen_shannon)", "Evidently (DataDriftPreset)",
                                 "ModelMonitor violations (L∞)", "ModelMonitor js metric (report only)"], rows))
    notes = {"nannyml": "" if nannyml_out else f"failed: {nannyml_run.error_summary()}",
             "evidently": "" if evidently_out else f"failed: {evidently_run.error_summary()}",
             "modelmonitor": mm_note}
    for tool, note in notes.items():
        if note:
            print(f"{tool}: {note}")
    return {"chunk_size": CHUNK_SIZE, "features": meta["features"], "chunks": rows, "notes": notes}

