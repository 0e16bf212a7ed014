"""Export NannyML's shipped synthetic car-loan data set as CSVs every tool can read.

Writes `reference.csv` (features only), `analysis.csv` (features + a `chunk` column: row index // chunk size, the
same chunks NannyML's `chunk_size` makes), one `chunks/chunk_NN.csv` per chunk (features only, for tools that take
one window per run) and `meta.json`. The data ships inside the nannyml package: nothing is downloaded.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

# common sets the telemetry switches: it is imported before the peer library.
from common import emit

# isort: split
import nannyml

FEATURES = ["car_value", "salary_range", "debt_to_income_ratio", "loan_length", "repaid_loan_on_prev_car",
            "size_of_downpayment", "driver_tenure"]
CATEGORICAL = ["salary_range", "repaid_loan_on_prev_car", "size_of_downpayment"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--chunk-size", type=int, default=5000)
    args = parser.parse_args()
    reference, analysis, _ = nannyml.load_synthetic_car_loan_dataset()
    chunks_dir = args.out / "chunks"
    chunks_dir.mkdir(parents=True, exist_ok=True)
    reference[FEATURES].to_csv(args.out / "reference.csv", index=False)
    features = analysis[FEATURES].reset_index(drop=True)
    chunk_of_row = features.index // args.chunk_size
    features.assign(chunk=chunk_of_row).to_csv(args.out / "analysis.csv", index=False)
    chunks = []
    for index, frame in features.groupby(chunk_of_row):
        path = chunks_dir / f"chunk_{index:02d}.csv"
        frame.to_csv(path, index=False)
        chunks.append({"index": int(index), "start": int(frame.index[0]), "end": int(frame.index[-1]),
                       "rows": len(frame), "path": str(path)})
    meta = {"features": FEATURES, "categorical": CATEGORICAL, "chunk_size": args.chunk_size,
            "rows_ref": len(reference), "rows_analysis": len(analysis), "chunks": chunks,
            "nannyml_version": nannyml.__version__}
    (args.out / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    emit(meta)


if __name__ == "__main__":
    main()
