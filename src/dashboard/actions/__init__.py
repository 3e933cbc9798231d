"""Action catalog of the Inspiratienota (issue 14)."""
