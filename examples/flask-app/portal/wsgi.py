"""The WSGI entry point gunicorn loads: `portal.wsgi:app`."""

from . import create_app

app = create_app()
