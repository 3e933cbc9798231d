"""The router. Pages live in app_pages/ (one line each), the interface in
src/dashboard/ui, what it shows in src/dashboard/board."""

from dashboard.ui import router

router.run()
