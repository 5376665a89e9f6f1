"""The baseline: a bare Sanic JSON endpoint, served the same way as the api."""

from sanic import Sanic, json

app = Sanic("bare_baseline")


@app.post("/api/v1/checkins")
async def checkin(request):
    """Parse the same body and answer a JSON object of similar size."""
    body = request.json
    return json(
        {
            "status": "checked_in",
            "reason": None,
            "message": "签到成功",
            "checkin": {"id": 1, "nonce": body.get("nonce")},
        }
    )
