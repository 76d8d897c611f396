"""Text that is safe to print to a terminal.

Study labels, file names and cell values come from users' files. Printed raw, an ANSI
(ECMA-48) escape sequence recolours the terminal or moves the cursor, an OSC sequence sets
the window title or writes the clipboard, and a carriage return or a bidirectional
override hides what was printed. :func:`terminal_safe` removes every escape sequence
(CSI, OSC, DCS/SOS/PM/APC strings and two-character escapes, in 7-bit and 8-bit forms)
and shows any other control character as ``?``; text and layout (newlines, tabs) stay.
"""

from __future__ import annotations

import re

__all__ = ["terminal_safe"]

_SEQUENCES = re.compile(
    r"""
      (?:\x1b\]|\x9d) [^\x07\x1b\x9c]* (?:\x07|\x1b\\|\x9c)?      # OSC ... BEL or ST
    | (?:\x1b[PX^_]|[\x90\x98\x9e\x9f]) [^\x1b\x9c]* (?:\x1b\\|\x9c)?  # DCS SOS PM APC ... ST
    | (?:\x1b\[|\x9b) [0-?]* [ -/]* [@-~]?                        # CSI ... final byte
    | \x1b [ -/]* [0-~]?                                          # other escape sequences
    """,
    re.VERBOSE,
)
# C0 and C1 controls but tab and newline, DEL, and the Unicode bidirectional controls.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """``text`` without terminal escape sequences, other controls shown as ``?``.

    >>> terminal_safe("\\x1b[31mRED\\x1b[0m\\x1b]0;title\\x07 ok\\r")
    'RED ok?'
    """
    return _CONTROLS.sub("?", _SEQUENCES.sub("", text))
