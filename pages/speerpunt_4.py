"""Spearhead 4: indicators, status, district maps and profile."""

from dashboard import views

views.spearhead_page(4)
