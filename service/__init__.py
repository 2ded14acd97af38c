"""FastAPI service (see issue 5); the library never imports it."""
