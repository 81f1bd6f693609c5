"""Container healthcheck for a web (daphne) process: the login page answers 200.

Asked as nginx asks: a Host from ALLOWED_HOSTS (any other is refused with 400) and
X-Forwarded-Proto https (without it the app redirects to HTTPS, SECURE_SSL_REDIRECT).
Exits 0 when healthy; `python deploy/healthcheck.py [port]`.
"""

import os
import sys
import urllib.request


def main() -> int:
    port = sys.argv[1] if len(sys.argv) > 1 else "8000"
    host = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip().lstrip(".")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/login/",
        headers={"Host": host, "X-Forwarded-Proto": "https"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (a fixed http URL)
        return 0 if response.status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
