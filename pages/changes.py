"""What changed since a date or a pinned meeting: old → new per indicator."""

from dashboard import meetingviews

meetingviews.changes_page()
