"""The HTTP service: a FastAPI app (`service.main.create_app`) with a durable SQLite job store and
a pool of solver worker processes; started by `wfm serve`. The library never imports it."""

from optimizer import __version__

__all__ = ["__version__"]
