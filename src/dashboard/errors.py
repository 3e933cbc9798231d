"""Input problems that are reported to people, never as tracebacks."""

from __future__ import annotations

from dataclasses import dataclass

from .i18n import t


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input: which file, which row and field, and why."""

    file: str
    row: int | None
    field: str | None
    reason: str

    def __str__(self) -> str:
        """'file, rij 3, veld 'jaar': reason' (the words in the current language; the
        reason is translated where it was made)."""
        parts = [self.file]
        if self.row is not None:
            parts.append(t("rij {row}", row=self.row))
        if self.field:
            parts.append(t("veld '{field}'", field=self.field))
        return t("{where}: {reason}", where=", ".join(parts), reason=self.reason)


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


class StoreWriteError(Exception):
    """The database could not write (disk full, file not writable, I/O error): the
    transaction was rolled back, so nothing of it was written. The message says so in the
    current language; the cause is chained."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(t("De database kon niet schrijven ({detail}); er is niets "
                           "geschreven. Maak schijfruimte vrij of controleer de schrijfrechten "
                           "en probeer opnieuw.", detail=detail))
