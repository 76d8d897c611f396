"""A progress bar for long computations (GOSH, coverage simulations).

It draws a plain one-line bar on standard error when that is a terminal, and
stays silent otherwise, so Snakemake logs (stderr redirected to a file) get no
carriage-return clutter. Set ``TRIALMETA_PROGRESS=0`` to silence it on a
terminal, or ``=1`` to force it on.
"""

from __future__ import annotations

import os
import sys
import time
from typing import IO

__all__ = ["Progress", "progress_enabled"]


def progress_enabled(stream: IO[str] | None = None) -> bool:
    """True when ``stream`` (default stderr) is a terminal, unless overridden by
    the ``TRIALMETA_PROGRESS`` environment variable (``0`` or ``1``)."""
    env = os.environ.get("TRIALMETA_PROGRESS")
    if env in ("0", "1"):
        return env == "1"
    stream = sys.stderr if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Progress:
    """Context manager counting work units up to ``total``.

    Parameters
    ----------
    total
        Number of units (e.g. subsets fitted).
    desc
        Short label printed before the bar.
    enabled
        Draw the bar; ``None`` decides by :func:`progress_enabled`.
    stream
        Where to draw (default: standard error).

    Examples
    --------
    >>> with Progress(10, "demo", enabled=False) as bar:
    ...     bar.update(10)
    >>> bar.done
    10
    """

    width = 30

    def __init__(
        self,
        total: int,
        desc: str = "",
        enabled: bool | None = None,
        stream: IO[str] | None = None,
        min_interval: float = 0.1,
    ) -> None:
        self.total = max(int(total), 0)
        self.desc = desc
        self.stream = sys.stderr if stream is None else stream
        self.enabled = progress_enabled(self.stream) if enabled is None else bool(enabled)
        self.min_interval = min_interval
        self.done = 0
        self._start = time.perf_counter()
        self._last = 0.0

    def __enter__(self) -> Progress:
        self._draw(force=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def update(self, n: int = 1) -> None:
        """Count ``n`` more units done and redraw at most every ``min_interval`` s."""
        self.done += int(n)
        self._draw()

    def close(self) -> None:
        if self.enabled:
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()

    def render(self) -> str:
        """The bar as text, e.g. ``GOSH [######----] 60% 600/1000 1.2s``."""
        frac = 1.0 if self.total == 0 else min(self.done / self.total, 1.0)
        filled = int(round(frac * self.width))
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = time.perf_counter() - self._start
        return f"{self.desc} [{bar}] {frac:4.0%} {self.done:,}/{self.total:,} {elapsed:.1f}s"

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self._last < self.min_interval:
            return
        self._last = now
        self.stream.write("\r" + self.render())
        self.stream.flush()
