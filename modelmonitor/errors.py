"""Domain errors shared by every entry path (CLI, `pulumi up`, operator, analyzer)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ManifestProblem:
    """One precise problem in one ModelMonitor document."""

    source: str
    """The file the document came from (or `<cluster>` / `<stdin>`)."""
    document: str
    """The document's metadata.name when known, else `document N` (1-based)."""
    path: str
    """Dotted field path inside the document, e.g. `spec.dataCapture.samplingPercentage`; empty for file-level."""
    message: str
    missing_input: bool = False
    """The named file or directory is not there (or holds no manifest): a usage error, not an invalid manifest."""

    def __str__(self) -> str:
        parts = [self.source, self.document, self.path, self.message]
        return ": ".join(p for p in parts if p)


class ModelMonitorError(Exception):
    """Base class of every error the product raises on purpose."""


class ManifestError(ModelMonitorError):
    """One or more ModelMonitor documents are invalid. Carries every problem found, not just the first."""

    def __init__(self, problems: list[ManifestProblem]) -> None:
        if not problems:
            raise ValueError("ManifestError needs at least one problem")
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def missing_input(self) -> bool:
        """Some named path held nothing to read: commands exit 2 (usage), as for any missing input."""
        return any(p.missing_input for p in self.problems)
