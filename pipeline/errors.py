"""Errors the command line turns into exit codes and one-paragraph messages."""

from __future__ import annotations

from pathlib import Path


class MhauditError(Exception):
    """A failure the user can act on; the command line shows its message without a traceback."""

    exit_code = 1


class BadInput(MhauditError):
    """An extract the contract rejects: names the file, the column, the first bad line and what was expected."""

    exit_code = 2

    def __init__(
        self,
        file: Path | str,
        problem: str,
        *,
        column: str | None = None,
        line: int | None = None,
        expected: str | None = None,
        line_label: str = "line",
    ) -> None:
        self.file = str(file)
        self.line_label = line_label
        self.problem = problem
        self.column = column
        self.line = line
        self.expected = expected
        super().__init__(self.paragraph())

    def paragraph(self) -> str:
        where = [f"file {self.file}"]
        if self.column:
            where.append(f"column {self.column}")
        if self.line is not None:
            where.append(f"{self.line_label} {self.line}")
        text = f"Bad input in {', '.join(where)}: {self.problem}."
        if self.expected:
            text += f" Expected {self.expected}."
        return text + " Nothing was published for this year; earlier outputs are unchanged."

    def __reduce__(self):  # Dagster serialises step errors across processes
        return (_rebuild_bad_input, (self.file, self.problem, self.column, self.line, self.expected, self.line_label))


def _rebuild_bad_input(file, problem, column, line, expected, line_label) -> BadInput:
    return BadInput(file, problem, column=column, line=line, expected=expected, line_label=line_label)


class ConfigError(MhauditError):
    """A configuration file or option the pipeline cannot use."""

    exit_code = 2
