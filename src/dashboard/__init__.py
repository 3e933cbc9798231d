"""Kortrijk 2040 monitoring board."""
