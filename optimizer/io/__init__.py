"""Reading and writing instances and results."""

from optimizer.io.files import load_instance, load_result, write_json

__all__ = ["load_instance", "load_result", "write_json"]
