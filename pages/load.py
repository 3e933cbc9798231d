"""Editor: load new figures (hidden in public mode)."""

from dashboard import editor

editor.load_page()
