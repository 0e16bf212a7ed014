"""The bias demo's scenario: a loan-approval endpoint whose model starts approving one group less often.

Applicants (income, loan amount, years of credit history, age, gender) are scored by the approval model; the ground
truth is whether the loan should have been approved (it was repaid), drawn from the same probability, so the
deployed model is calibrated and treats both genders alike: its approval rate does not depend on gender. From
`shift_hour` on a new model version is live that lowers female applicants' scores (a proxy it learned), while their
repayments — the ground truth — stay what they were: the favourable-outcome rate of the facet drops in the
predictions, not in the labels. That is what post-training bias metrics (DPPL, DI) exist to catch.

Everything derives from one seed through `np.random.default_rng`, so a run is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FEATURES = ("income", "loan_amount", "credit_years", "age", "gender")
"""The request's columns, in order (the spec's payload.input.names)."""
LABEL, SCORE = "approved", "score"
FACET, SENSITIVE = "gender", "female"


@dataclass(frozen=True)
class Applications:
    """Rows of applications with the model's approval probability and the ground truth (1: should be approved)."""

    columns: dict[str, npt.NDArray[np.float64] | npt.NDArray[np.object_]]
    scores: npt.NDArray[np.float64]
    labels: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.scores)

    @property
    def sensitive(self) -> npt.NDArray[np.bool_]:
        flags: npt.NDArray[np.bool_] = self.columns[FACET] == SENSITIVE
        return flags

    def request_rows(self) -> list[str]:
        """Each application as the CSV line the endpoint receives."""
        formatted = [[f"{v:.4g}" if isinstance(v, float) else str(v) for v in self.columns[name].tolist()]
                     for name in FEATURES]
        return [",".join(values) for values in zip(*formatted, strict=True)]

    def training_csv(self) -> str:
        """A labelled dataset with a header: the request columns, the label and the model's score."""
        rows = [",".join((*FEATURES, LABEL, SCORE))]
        rows += [f"{request},{label},{score:.6f}" for request, label, score
                 in zip(self.request_rows(), self.labels.tolist(), self.scores.tolist(), strict=True)]
        return "\n".join(rows) + "\n"


@dataclass(frozen=True)
class BiasScenario:
    seed: int = 7
    training_rows: int = 5000
    requests_per_hour: int = 400
    shift_hour: int = 12
    """First hour served by the new model version."""
    female_share: float = 0.45
    score_shift: float = -0.8
    """What the new version does to a female applicant's log-odds of approval."""
    label_coverage: float = 0.9
    """Share of requests whose ground truth arrives (the rest never get a label)."""

    def applications(self, rng: np.random.Generator, n: int, *, shifted: bool) -> Applications:
        income = rng.lognormal(np.log(55.0), 0.45, n).round(1)          # thousands per year
        loan = rng.lognormal(np.log(20.0), 0.6, n).round(1)             # thousands
        credit = rng.gamma(2.0, 4.0, n).clip(0, 40).round()
        age = rng.normal(42.0, 12.0, n).clip(21, 80).round()
        gender = np.where(rng.random(n) < self.female_share, SENSITIVE, "male").astype(object)
        logit = 0.1 + 1.3 * np.log(income / 55.0) - 1.0 * np.log(loan / 20.0) + 0.07 * (credit - 8.0)
        labels = (rng.random(n) < _sigmoid(logit)).astype(np.int64)    # the ground truth: the old model's odds
        if shifted:
            logit = logit + self.score_shift * (gender == SENSITIVE)
        columns: dict[str, npt.NDArray[np.float64] | npt.NDArray[np.object_]] = {
            "income": income, "loan_amount": loan, "credit_years": credit, "age": age, "gender": gender}
        return Applications(columns, _sigmoid(logit).round(6), labels)

    def training(self) -> Applications:
        return self.applications(np.random.default_rng([self.seed, 0]), self.training_rows, shifted=False)

    def hour(self, hour: int) -> Applications:
        """The applications of hour `hour` (0-based), scored by the model version live then."""
        return self.applications(np.random.default_rng([self.seed, 1, hour]), self.requests_per_hour,
                                 shifted=hour >= self.shift_hour)

    def labelled(self, hour: int, count: int) -> npt.NDArray[np.bool_]:
        """Which of the hour's `count` requests get their ground truth."""
        flags: npt.NDArray[np.bool_] = np.random.default_rng([self.seed, 2, hour]).random(count) < self.label_coverage
        return flags


def _sigmoid(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    result: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-x))
    return result
