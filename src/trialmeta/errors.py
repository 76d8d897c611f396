"""Domain exceptions and warnings for trialmeta.

Every user-facing error names the argument (or file/row/column), the value that
was received and what was expected, so that the CLI can print it on one line.
"""

from __future__ import annotations

__all__ = [
    "TrialmetaError",
    "InputError",
    "DataValidationError",
    "NotComputableError",
    "IntermediateError",
    "ConvergenceWarning",
    "StatisticalWarning",
]


class TrialmetaError(Exception):
    """Base class of every error raised on purpose by trialmeta."""


class InputError(TrialmetaError, ValueError):
    """An argument to a statistical function is invalid.

    Parameters
    ----------
    argument
        Name of the argument or column (``"vi"``, ``"sd1i"``, ``"method"``).
    value
        The offending value.
    expected
        What would have been valid.
    row
        Zero-based position in the input vector, when one element is at fault.
    """

    def __init__(self, argument: str, value: object, expected: str, row: int | None = None):
        self.argument = argument
        self.value = value
        self.expected = expected
        self.row = row
        where = f"{argument}[{row}]" if row is not None else argument
        super().__init__(f"{where}: got {value!r}, expected {expected}")


class DataValidationError(TrialmetaError):
    """One or more problems in an extraction sheet or config.

    ``problems`` holds every problem as a one-line string
    (``file:row:column: what is wrong (got VALUE, expected ...)``).
    """

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} found"
        super().__init__(head + ":\n" + "\n".join(self.problems))


class NotComputableError(TrialmetaError):
    """Valid input for which a result cannot be computed, with the reason.

    Raised, for example, when the data span more orders of magnitude than double
    precision can pool, or when the side of trim-and-fill cannot be estimated because
    every study has the same standard error. ``argument`` and ``row`` (zero-based) name
    the input element behind the reason when there is one, so a caller can point at the
    file line; ``flag`` is the result flag (:mod:`trialmeta.flags`) that records it.
    """

    def __init__(
        self,
        reason: str,
        argument: str | None = None,
        row: int | None = None,
        flag: str | None = None,
    ):
        self.reason = reason
        self.argument = argument
        self.row = row
        self.flag = flag
        where = f"{argument}[{row}]: " if argument is not None and row is not None else ""
        super().__init__(f"{where}not computable ({reason})")


class IntermediateError(TrialmetaError):
    """An intermediate result of the workflow no longer matches the checksum its rule
    recorded (truncated or edited after it was written), or its checksum is missing.

    The message is one located line: the file, what changed, the digest found and the one
    expected (:mod:`trialmeta.io.digests`).
    """


class ConvergenceWarning(UserWarning):
    """An iterative estimator needed its fallback solver."""


class StatisticalWarning(UserWarning):
    """A result is computable but statistically fragile (e.g. k < 10)."""
