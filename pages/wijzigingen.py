"""What changed since a date or a pinned meeting: old → new per indicator."""

from dashboard import changes

changes.page()
