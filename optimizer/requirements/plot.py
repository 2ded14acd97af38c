"""One PNG per requirements run: forecast volume, required agents and service level per interval.

matplotlib is imported here only (the Agg backend, no screen needed); it is an optional dependency
of the engine (``pip install matplotlib``)."""

from __future__ import annotations

from pathlib import Path

from optimizer.requirements.compute import Requirements


def plot_requirements(result: Requirements, path: str | Path, *, title: str | None = None) -> Path:
    """Three stacked panels sharing the time axis, one line per skill: volume per interval,
    required agents (net solid, gross dashed) and the service level the net count achieves
    (voice and chat; the target as a dotted line)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame = result.to_frame()
    fig, axes = plt.subplots(3, 1, figsize=(12, 9), sharex=True, constrained_layout=True)
    ax_volume, ax_agents, ax_sl = axes
    for i, (skill, part) in enumerate(frame.groupby("skill", sort=False)):
        part = part.sort_values("interval_start")
        color = f"C{i % 10}"
        x = part["interval_start"]
        ax_volume.step(x, part["volume"], where="post", color=color, label=f"{skill} ({part['channel'].iloc[0]})")
        ax_agents.step(x, part["required_net"], where="post", color=color, label=f"{skill} net")
        ax_agents.step(x, part["required_gross"], where="post", color=color, linestyle="--", alpha=0.7,
                       label=f"{skill} gross")
        if part["service_level"].notna().any():
            ax_sl.step(x, part["service_level"], where="post", color=color, label=skill)
            ax_sl.step(x, part["service_level_target"], where="post", color=color, linestyle=":", alpha=0.8)
    ax_volume.set_ylabel("contacts per interval")
    ax_agents.set_ylabel("required agents")
    ax_sl.set_ylabel("service level at net")
    ax_sl.set_ylim(0, 1.02)
    ax_sl.set_xlabel("interval start")
    for ax in axes:
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper right", fontsize="small", ncol=2)
    fig.suptitle(title or f"Requirements ({result.interval_minutes}-minute intervals)")
    path = Path(path)
    if not path.suffix:  # what matplotlib writes for a name without an extension, said as such
        path = path.with_suffix(".png")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
