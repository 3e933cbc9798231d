"""SDGs: which spearheads and indicators serve each goal, and how they stand (roll-up rule"""

from dashboard.ui import sdg

sdg.page()
