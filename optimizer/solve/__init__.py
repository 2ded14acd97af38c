"""Solving: `solve(instance, settings, on_progress) -> SolveResult`."""
