"""Spearhead 1: indicators, status, district maps and profile."""

from dashboard import views

views.spearhead_page(1)
