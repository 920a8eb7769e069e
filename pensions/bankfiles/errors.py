"""Errors of the bank-file library. Each carries a Chinese message for the person and the details as data,
so a page can list the lines to handle by hand."""

from __future__ import annotations

from dataclasses import dataclass

from registry.errors import DomainError


class BankFileError(DomainError):
    """A bank file or a return file could not be made or read."""


class ProfileError(BankFileError):
    """A bank-file profile (as stored JSON) is not valid: the message names the setting."""


@dataclass(frozen=True, slots=True)
class LineProblem:
    """One line that cannot go into a file, or one malformed line of a return file.

    `number` is the line's position among the payment lines given (1-based) when writing, and the line (or
    spreadsheet row) number of the file when reading."""

    number: int
    reference: str
    name: str
    message: str


@dataclass(frozen=True, slots=True)
class UnencodableLine:
    """A payment line with characters the file's encoding cannot hold (e.g. 䶮 in GBK)."""

    number: int
    reference: str
    name: str
    characters: str  # each offending character once, in order of appearance

    @property
    def code_points(self) -> str:
        return " ".join(f"U+{ord(character):04X}" for character in self.characters)


class InvalidLinesError(BankFileError):
    """Some payment lines cannot be written as the profile says (too long, not digits, bad amount)."""

    def __init__(self, message: str, *, problems: list[LineProblem]) -> None:
        super().__init__(message)
        self.problems = problems


class UnencodableLines(InvalidLinesError):  # noqa: N818 - the name the issue and the plan code use
    """Some names (or other texts) hold characters the encoding cannot represent: the export stops so that
    those lines are handled by hand, never written with a "?" in place of the character."""

    def __init__(
        self, message: str, *, lines: list[UnencodableLine], problems: list[LineProblem] | None = None
    ) -> None:
        super().__init__(message, problems=problems or [])
        self.lines = lines


class ReturnFileError(BankFileError):
    """A return file (回盘) is malformed: `problems` name its line numbers."""

    def __init__(self, message: str, *, problems: list[LineProblem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class ReturnMismatchError(BankFileError):
    """A return file does not answer the file that was sent: totals, unknown or missing references, or an
    amount or account that differs from what was sent. Nothing may be marked from it."""

    def __init__(self, message: str, *, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems
