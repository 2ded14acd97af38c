"""Discrete-event simulation of a staffing against a forecast (SimPy), to check what the Erlang
formulas predict: time-varying staffing, abandonment, multi-skill routing, replications with
confidence intervals. Entry point: `simulate_staffing`; the event model is in `engine`."""

from optimizer.simulate.api import AgentGroup, SimulationResult, simulate_staffing
from optimizer.simulate.engine import QueueInput, simulate_replications

__all__ = ["AgentGroup", "QueueInput", "SimulationResult", "simulate_replications", "simulate_staffing"]
