"""Editor: history of loads and undo (hidden in public mode)."""

from dashboard.ui import editor

editor.history_page()
