"""Editor: load new figures (hidden in public mode)."""

from dashboard.ui import editor

editor.load_page()
