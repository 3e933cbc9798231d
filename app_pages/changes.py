"""What changed since a date or a pinned meeting: old → new per indicator."""

from dashboard.ui import meetings

meetings.changes_page()
