"""Presentation mode for meetings: one indicator per screen, arrow keys step through."""

from dashboard.ui import meetings

meetings.presentation_page()
