"""Console page areas, one module each; listed in server/web/areas.py."""
