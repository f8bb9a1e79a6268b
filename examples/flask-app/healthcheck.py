"""Container HEALTHCHECK without curl: GET /healthz on the port gunicorn binds."""

import os
import sys
import urllib.request

port = os.environ.get("WEBSITES_PORT") or os.environ.get("PORT") or "8000"
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception as error:  # noqa: BLE001 - any failure means unhealthy
    print(f"healthcheck failed: {error}", file=sys.stderr)
    sys.exit(1)
