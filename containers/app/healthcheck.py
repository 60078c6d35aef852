#!/opt/venv/bin/python
"""Container health: gunicorn answers /healthz on 127.0.0.1:8000 within 2 s (no curl in slim images).

Used by the Dockerfile's HEALTHCHECK and by the ECS task definition's healthCheck command.
"""

import sys
import urllib.request

try:
    with urllib.request.urlopen("http://127.0.0.1:8000/healthz", timeout=2) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception as exc:  # any failure is "unhealthy"; say why in the health log
    print(f"unhealthy: {exc}", file=sys.stderr)
    sys.exit(1)
