"""The one exception a bad framework file raises."""

from __future__ import annotations


class FrameworkError(ValueError):
    """A framework file or document that cannot be used, and where the first problem is.

    `location` is a JSON path (`$.domains[1].subdomains[0].title`), a table position
    (`row 7, column level_3`, `sheet indicators, cell F7`), a text position (`line 3, column 5`)
    or "" when the problem is the whole file. Loading stops at the first problem, so the person
    uploading sees one thing to fix, not a wall of consequences of it.
    """

    def __init__(self, filename: str, location: str, message: str) -> None:
        super().__init__(filename, location, message)
        self.filename = filename
        self.location = location
        self.message = message

    def __str__(self) -> str:
        return ": ".join(part for part in (self.filename, self.location, self.message) if part)
