"""Objective and bound over time from the rows' traces: one PNG per instance, one line per
(profile, seed). The incumbent is drawn as a step function (best objective so far), the bound as a
dashed line of the same colour, the anonymous lower bound as a dotted horizontal line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from benchmarks.metrics import incumbents


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "instance"


def plot_rows(rows: list[dict[str, Any]], out_dir: str | Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    by_instance: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("trace"):
            by_instance.setdefault(row["instance"], []).append(row)
    written = []
    for instance, group in by_instance.items():
        fig, ax = plt.subplots(figsize=(9, 5))
        values: list[float] = []
        for index, row in enumerate(sorted(group, key=lambda r: (r["profile"], r["seed"]))):
            color = f"C{index % 10}"
            label = f"{row['profile']} seed {row['seed']}"
            end = max(float(row.get("wall_time_s") or 0.0), *(float(p[0]) for p in row["trace"]))
            steps = incumbents(row["trace"])
            if steps:
                xs = [t for t, _ in steps] + [end]
                ys = [v for _, v in steps] + [steps[-1][1]]
                ax.step(xs, ys, where="post", color=color, label=f"{label}: objective")
                values += ys
            bounds = [
                (float(p[0]), float(p[2]))
                for p in row["trace"]
                if len(p) > 2 and p[2] is not None and p[2] >= 0
            ]
            if row.get("best_bound") is not None:
                bounds.append((end, float(row["best_bound"])))
            if bounds:
                ax.step(
                    [t for t, _ in bounds] + [end],
                    [b for _, b in bounds] + [bounds[-1][1]],
                    where="post",
                    color=color,
                    linestyle="--",
                    alpha=0.8,
                    label=f"{label}: bound",
                )
                values += [b for _, b in bounds]
            if row.get("anonymous_bound") is not None:
                ax.axhline(
                    row["anonymous_bound"],
                    color=color,
                    linestyle=":",
                    alpha=0.6,
                    label=f"{label}: anonymous bound",
                )
                values.append(row["anonymous_bound"])
        positive = [v for v in values if v > 0]
        if positive and len(positive) == len(values) and max(positive) / min(positive) > 20:
            ax.set_yscale("log")
        ax.set_xlim(left=0)
        ax.set_xlabel("seconds")
        ax.set_ylabel("objective (minimised)")
        ax.set_title(instance)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
        fig.tight_layout()
        path = out_dir / f"{_safe(instance)}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written
