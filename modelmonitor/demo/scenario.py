"""A deterministic churn-model scenario: training data, a trained predictor, and hourly endpoint traffic that
drifts from a chosen hour (shifted numeric feature, a new category, rising missing values).

Everything derives from one seed through `np.random.default_rng`, so a demo run is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

NUMERIC = ("tenure_months", "monthly_charges", "support_calls", "data_usage_gb", "age", "late_payments")
CATEGORICAL = ("contract_type", "payment_method", "internet_service", "region")
FEATURES = NUMERIC + CATEGORICAL
CATEGORIES: dict[str, tuple[str, ...]] = {
    "contract_type": ("month-to-month", "one-year", "two-year"),
    "payment_method": ("card", "bank-transfer", "check"),
    "internet_service": ("fiber", "dsl", "none"),
    "region": ("north", "south", "east", "west"),
}
_CATEGORY_WEIGHTS: dict[str, tuple[float, ...]] = {
    "contract_type": (0.55, 0.25, 0.20),
    "payment_method": (0.5, 0.3, 0.2),
    "internet_service": (0.45, 0.4, 0.15),
    "region": (0.3, 0.25, 0.25, 0.2),
}


@dataclass(frozen=True)
class Drift:
    """What changes from `start_hour` on. The defaults are large enough for SageMaker's robust L∞ test to see
    in an hour of a few hundred requests, and realistic: a price increase, a new payment option, and a logging
    bug that drops a field more and more often."""

    start_hour: int
    end_hour: int | None = None
    """First hour without drift again (the incident closes); None: the drift lasts."""
    shifted_feature: str = "monthly_charges"
    shift_factor: float = 1.35
    new_category_feature: str = "payment_method"
    new_category: str = "crypto-wallet"
    new_category_share: float = 0.3
    missing_feature: str = "support_calls"
    missing_share_per_hour: float = 0.08

    @property
    def drifted_features(self) -> tuple[str, ...]:
        return (self.shifted_feature, self.new_category_feature, self.missing_feature)


@dataclass(frozen=True)
class Table:
    """Column-oriented rows: numeric columns are float arrays (NaN = missing), categorical are object arrays."""

    columns: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def csv_rows(self, header: bool = False) -> list[str]:
        rows = [",".join(FEATURES)] if header else []
        formatted = [_format_column(self.columns[name]) for name in FEATURES]
        rows.extend(",".join(values) for values in zip(*formatted, strict=True))
        return rows


def _format_column(values: np.ndarray) -> list[str]:
    if values.dtype.kind == "f":
        return ["" if np.isnan(v) else f"{v:.4g}" for v in values]
    return [str(v) for v in values]


def generate_rows(rng: np.random.Generator, n: int) -> Table:
    tenure = rng.gamma(2.0, 14.0, n).clip(0, 72).round()
    columns: dict[str, np.ndarray] = {
        "tenure_months": tenure,
        "monthly_charges": rng.normal(65.0, 18.0, n).clip(15, 150).round(2),
        "support_calls": rng.poisson(1.2, n).astype(float),
        "data_usage_gb": rng.lognormal(2.5, 0.6, n).round(1),
        "age": rng.normal(42.0, 12.0, n).clip(18, 90).round(),
        "late_payments": rng.poisson(0.4, n).astype(float),
    }
    for name, values in CATEGORIES.items():
        columns[name] = rng.choice(np.array(values, dtype=object), size=n, p=_CATEGORY_WEIGHTS[name])
    return Table(columns)


def true_churn_logit(table: Table) -> np.ndarray:
    """The ground truth the model tries to learn."""
    c = table.columns
    support = np.nan_to_num(c["support_calls"], nan=1.2)
    logit: np.ndarray = (-1.0 - 0.04 * c["tenure_months"] + 0.025 * (c["monthly_charges"] - 65) + 0.45 * support
            + 0.6 * c["late_payments"] + 1.1 * (c["contract_type"] == "month-to-month"))
    return logit


@dataclass(frozen=True)
class ChurnModel:
    """Logistic regression over standardised numeric features and one-hot categoricals, fitted by Newton steps."""

    weights: np.ndarray
    means: dict[str, float]
    scales: dict[str, float]

    def design(self, table: Table) -> np.ndarray:
        parts = [np.ones(len(table))]
        for name in NUMERIC:
            values = np.nan_to_num(table.columns[name], nan=self.means[name])
            parts.append((values - self.means[name]) / self.scales[name])
        for name, values in CATEGORIES.items():
            parts.extend((table.columns[name] == v).astype(float) for v in values[1:])
        return np.column_stack(parts)

    def predict_proba(self, table: Table) -> np.ndarray:
        return _sigmoid(self.design(table) @ self.weights)


def train_model(table: Table, labels: np.ndarray, iterations: int = 12) -> ChurnModel:
    means = {n: float(np.nanmean(table.columns[n])) for n in NUMERIC}
    scales = {n: float(np.nanstd(table.columns[n])) or 1.0 for n in NUMERIC}
    model = ChurnModel(np.zeros(1 + len(NUMERIC) + sum(len(v) - 1 for v in CATEGORIES.values())), means, scales)
    x = model.design(table)
    weights = model.weights
    for _ in range(iterations):  # Newton-Raphson with a small ridge term for stability
        p = 1.0 / (1.0 + np.exp(-x @ weights))
        gradient = x.T @ (p - labels) + 1e-3 * weights
        hessian = (x.T * (p * (1 - p))) @ x + 1e-3 * np.eye(len(weights))
        weights = weights - np.linalg.solve(hessian, gradient)
    return ChurnModel(weights, means, scales)


@dataclass
class Scenario:
    seed: int = 7
    training_rows: int = 5000
    requests_per_hour: int = 400
    drift: Drift = field(default_factory=lambda: Drift(start_hour=12))

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        self.training = generate_rows(rng, self.training_rows)
        self.training_labels = (rng.random(self.training_rows) < _sigmoid(true_churn_logit(self.training))).astype(
            float)
        self.model = train_model(self.training, self.training_labels)

    def hour_traffic(self, hour: int) -> Table:
        """Requests of hour `hour` (0-based), with the drift applied from drift.start_hour until drift.end_hour."""
        rng = np.random.default_rng([self.seed, hour])
        table = generate_rows(rng, self.requests_per_hour)
        if hour < self.drift.start_hour or (self.drift.end_hour is not None and hour >= self.drift.end_hour):
            return table
        hours_drifting = hour - self.drift.start_hour + 1
        columns = dict(table.columns)
        d = self.drift
        columns[d.shifted_feature] = (columns[d.shifted_feature] * d.shift_factor).round(2)
        new_category = rng.random(len(table)) < d.new_category_share
        categorical = columns[d.new_category_feature].copy()
        categorical[new_category] = d.new_category
        columns[d.new_category_feature] = categorical
        missing_share = min(0.9, d.missing_share_per_hour * hours_drifting)
        with_missing = columns[d.missing_feature].copy()
        with_missing[rng.random(len(table)) < missing_share] = np.nan
        columns[d.missing_feature] = with_missing
        return Table(columns)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    result: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return result
