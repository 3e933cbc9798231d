"""One action of the note: its sentence, status, updates, indicators and place."""

from dashboard.ui import actions

actions.action_page()
