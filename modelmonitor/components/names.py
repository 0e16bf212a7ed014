"""Deterministic, length-safe AWS names derived from a monitor's namespace/name.

Every name is `{name}-{hash}-{suffix}`: `name` keeps it readable, the 6-character hash of `namespace/name` keeps
two monitors of the same name in different namespaces apart, and the suffix says what the resource is. The budget
is fixed in `modelmonitor.formats` (a monitor name may be at most 39 characters precisely so that the longest
suffix still fits in SageMaker's 63): the assertions below keep the two from drifting apart.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from modelmonitor.formats import LONGEST_NAME_SUFFIX, MAX_MONITOR_NAME_LENGTH, NAME_HASH_LENGTH, SAGEMAKER_NAME_MAX

SAGEMAKER_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*")
IAM_ROLE_NAME_MAX = 64
IAM_POLICY_NAME_MAX = 128
ALARM_NAME_MAX = 255
AUTO_NAME_SUFFIX = 8
"""Pulumi auto-names a resource without a physical name `{logical name}-{7 random characters}`."""
BOUND_HASH_LENGTH = 7
ALARM_NAME_PREFIX = "modelmonitor-"
"""Every alarm a monitor creates starts with this (`MonitorNames.alarm`); the alert Lambda may describe exactly
those (components/policies.py)."""
PLATFORM_NAME_MAX = 44
"""A Platform's name prefixes its children's logical names; the tightest: `{name}-alerts-role` + the auto-name
suffix within IAM's 64 characters (44 + 12 + 8)."""

assert MAX_MONITOR_NAME_LENGTH + 1 + NAME_HASH_LENGTH + 1 + LONGEST_NAME_SUFFIX == SAGEMAKER_NAME_MAX


def bounded(full: str, limit: int) -> str:
    """`full` when it fits in `limit` characters; else its head and a hash of the whole, at most `limit` long.

    A name that fits is never changed, so resources that exist keep their names; only names that could never
    have been created (AWS refuses them) are shortened — deterministically, and distinct names stay distinct."""
    if len(full) <= limit:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:BOUND_HASH_LENGTH]
    head = full[:limit - BOUND_HASH_LENGTH - 1].rstrip("-")
    return f"{head}-{digest}"


def auto_named(logical: str, limit: int) -> str:
    """A logical name whose Pulumi auto-name (`{logical}-{7 chars}`) fits an AWS limit of `limit` characters."""
    return bounded(logical, limit - AUTO_NAME_SUFFIX)


def inline_policy_logical(role_logical: str) -> str:
    """Logical name of a role's inline policy: auto-named, within IAM's 128-character policy names."""
    return auto_named(f"{role_logical.removesuffix('-role')}-policy", IAM_POLICY_NAME_MAX)


def name_hash(namespace: str, name: str, length: int = NAME_HASH_LENGTH) -> str:
    """Stable short hash of `namespace/name` (hex, so it never breaks a SageMaker name)."""
    return hashlib.sha256(f"{namespace}/{name}".encode()).hexdigest()[:length]


@dataclass(frozen=True)
class MonitorNames:
    """Every physical name a ModelMonitor's resources use. Pure: the same document gives the same names."""

    namespace: str
    name: str

    @property
    def base(self) -> str:
        return f"{self.name}-{name_hash(self.namespace, self.name)}"

    def sagemaker(self, suffix: str) -> str:
        """A SageMaker resource name (job definitions, schedules, models, endpoint configs, jobs)."""
        if len(suffix) > LONGEST_NAME_SUFFIX:
            raise ValueError(f"name suffix {suffix!r} is longer than {LONGEST_NAME_SUFFIX} characters")
        full = f"{self.base}-{suffix}"
        if len(full) > SAGEMAKER_NAME_MAX or not SAGEMAKER_NAME.fullmatch(full):
            raise ValueError(f"{full!r} is not a valid SageMaker name (≤ {SAGEMAKER_NAME_MAX} chars, "
                             "letters, digits and single '-')")
        return full

    @property
    def data_quality_schedule(self) -> str:
        return self.sagemaker("dq-schedule")

    @property
    def model_quality_schedule(self) -> str:
        return self.sagemaker("mq-schedule")

    @property
    def model_bias_schedule(self) -> str:
        return self.sagemaker("mb-schedule")

    @property
    def feature_attribution_schedule(self) -> str:
        return self.sagemaker("fa-schedule")

    def baseline_job(self, fingerprint: str) -> str:
        """Processing job names are unique forever in an account/region: the inputs' fingerprint makes a new
        baseline (changed dataset) a new name, and the same inputs the same name (so create can adopt it)."""
        return self.sagemaker(f"bl-{fingerprint[:8]}")

    @property
    def monitoring_role(self) -> str:
        return self._bounded(f"{self.base}-monitoring", IAM_ROLE_NAME_MAX)

    @property
    def model_role(self) -> str:
        return self._bounded(f"{self.base}-model", IAM_ROLE_NAME_MAX)

    @property
    def monitor_label(self) -> str:
        """`{namespace}_{name}`: namespaces and monitor names are DNS labels, which may hold '-' but never '_', so
        `ml-a/x` and `ml/a-x` stay apart (joined by '-', both read `ml-a-x`). CloudWatch overwrites a dashboard or
        alarm of an existing name, and each monitor has a stack of its own: equal names would let one monitor's
        deployment replace, and its deletion delete, another's."""
        return f"{self.namespace}_{self.name}"

    @property
    def dashboard(self) -> str:
        # Dashboard names allow A-Za-z0-9 - _ only; ours are DNS labels, '_' and hex, so they always qualify.
        return f"modelmonitor-{self.monitor_label}"

    def alarm(self, what: str) -> str:
        """Alarm names allow 255 characters; a feature name may use 200, so an overlong one is cut and keeps a
        hash of the whole so two long features never collide. `what` follows a second '_', so a key holding '-'
        cannot make two monitors' names meet either."""
        full = f"{ALARM_NAME_PREFIX}{self.monitor_label}_{what}"
        if len(full) <= ALARM_NAME_MAX:
            return full
        digest = hashlib.sha256(what.encode()).hexdigest()[:8]
        return f"{full[:ALARM_NAME_MAX - 9]}-{digest}"

    def replaceable(self, what: str) -> str:
        """Logical name of a resource SageMaker can only replace, never update (models, endpoint configurations,
        job definitions): it sets no physical name, so Pulumi auto-names it and a replacement gets a new name
        instead of colliding with the old one (which `deletionPolicy: Retain` keeps). The auto-name must be a valid
        SageMaker name of ≤ 63 characters."""
        return auto_named(f"{self.logical}-{what}", SAGEMAKER_NAME_MAX)

    @property
    def logical(self) -> str:
        """Pulumi logical-name prefix: unique per stack, readable in previews."""
        return f"{self.namespace}-{self.name}"

    @staticmethod
    def _bounded(full: str, limit: int) -> str:
        if len(full) > limit:
            raise ValueError(f"{full!r} exceeds {limit} characters")
        return full


def platform_name(region: str, prefix: str = "modelmonitor") -> str:
    """Name of the one Platform per account/region of a stack (`pulumi up` of monitors/*.yaml)."""
    return bounded(f"{prefix}-{region}", PLATFORM_NAME_MAX)


def monitor_platform_name(names: MonitorNames, prefix: str | None = None) -> str:
    """Name of the Platform of the operator's one-monitor stack: `mm-{name}-{hash}` (or the configured prefix),
    hash-shortened where its children's names would overflow."""
    return bounded(prefix or f"mm-{names.base}", PLATFORM_NAME_MAX)
