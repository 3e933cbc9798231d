"""Presentation mode for meetings: one indicator per screen, arrow keys step through."""

from dashboard import meetingviews

meetingviews.presentation_page()
