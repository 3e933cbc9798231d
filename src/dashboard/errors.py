"""Input problems that are reported to people, never as tracebacks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input: which file, which row and field, and why."""

    file: str
    row: int | None
    field: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", rij {self.row}"
        if self.field:
            where += f", veld '{self.field}'"
        return f"{where}: {self.reason}"


class InputError(Exception):
    """Raised with every problem found in an input; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class GeodataError(InputError):
    """A geodata file could not be imported."""

    @classmethod
    def single(cls, file: str, reason: str, field: str | None = None) -> GeodataError:
        return cls([Problem(file, None, field, reason)])
