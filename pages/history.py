"""Editor: history of loads and undo (hidden in public mode)."""

from dashboard import editor

editor.history_page()
