"""Contact-center schedule optimization engine (CP-SAT)."""

__version__ = "0.1.0"
