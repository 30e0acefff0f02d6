"""Container healthcheck: GET http://127.0.0.1:$PORT<path> (default /readyz), exit 0 on a 200.

    python deploy/healthcheck.py            # /readyz: the process and its database answer
    python deploy/healthcheck.py /healthz   # the process answers

The slim image has no curl. The Host header is the first ALLOWED_HOSTS entry, so Django accepts the
request whatever hosts the deployment allows.
"""

import os
import sys
import urllib.request


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else "/readyz"
    hosts = [h.strip().lstrip(".") for h in os.environ.get("ALLOWED_HOSTS", "localhost").split(",")]
    host = next((h for h in hosts if h and h != "*"), "localhost")
    request = urllib.request.Request(
        f"http://127.0.0.1:{os.environ.get('PORT') or '8000'}{path}", headers={"Host": host}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return 0 if response.status == 200 else 1
    except OSError as error:
        sys.stderr.write(f"{path}: {error}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
