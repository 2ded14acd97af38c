"""Reading and writing instances and results."""

from optimizer.io.files import load_instance, load_result, output_problem, write_json

__all__ = ["load_instance", "load_result", "output_problem", "write_json"]
