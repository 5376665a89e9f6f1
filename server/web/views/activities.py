"""Console pages: activities."""

from __future__ import annotations

from sanic import Blueprint

bp = Blueprint("console_activities")
