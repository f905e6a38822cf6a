"""Web app and screening API (``diversion serve``): FastAPI + Jinja2 over the warehouse.

``create_app(settings)`` builds the app; ``serve(settings, host, port)`` runs it
with uvicorn. Pages: search, entity (with the network drawn by Cytoscape.js),
leads, flows dashboard (plotly.js from the plotly wheel), review queue. JSON:
``POST /match/{dataset}`` (yente-compatible), ``GET /entities/{id}``,
``GET /search``, ``GET /leads``, ``GET /flows``, ``GET``/``POST /review``.
"""

from diversion.web.app import create_app
from diversion.web.serve import serve

__all__ = ["create_app", "serve"]
