"""Write (or check) the committed instances from their generator profiles.

    python instances/generate.py              # rewrite every instances/<name>.json
    python instances/generate.py demo-small   # only the named profiles
    python instances/generate.py --check      # exit 1 if a committed file differs from the generator

Profiles, seeds and sizes: `optimizer.generate.PROFILES` and `instances/README.md`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOAD_BAND = (0.90, 0.95)  # required agent-hours over contract hours
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing the package


def main(argv: list[str] | None = None) -> int:
    from optimizer.generate import (
        PROFILES,
        capacity_hours,
        generate_instance,
        instance_to_json,
        required_agent_hours,
    )

    parser = argparse.ArgumentParser(
        description="Write or check the committed instances from their generator profiles."
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"profiles (default: all of {', '.join(PROFILES)})"
    )
    parser.add_argument(
        "--check", action="store_true", help="compare with the committed files; write nothing"
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in PROFILES]
    if unknown:
        parser.error(f"unknown profile(s): {', '.join(unknown)}; known: {', '.join(PROFILES)}")

    differing, off_band = [], []
    for name in args.names or list(PROFILES):
        instance = generate_instance(PROFILES[name])
        text = instance_to_json(instance)
        path = HERE / f"{name}.json"
        if args.check:
            if not path.exists():
                differing.append(f"{path.name} (missing)")
            elif path.read_text(encoding="utf-8") != text:
                differing.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
        required, capacity = required_agent_hours(instance), capacity_hours(instance)
        if not LOAD_BAND[0] <= required / capacity <= LOAD_BAND[1]:
            off_band.append(name)
        print(  # noqa: T201
            f"{name:<18} agents {len(instance.agents):>4}  skills {len(instance.skills)}  "
            f"required {required:>8.1f} agent-h  capacity {capacity:>8.1f} h  ratio {required / capacity:.3f}  "
            f"{len(text.encode('utf-8')) / 1024:>6.1f} KiB"
        )
    if off_band:
        print(  # noqa: T201
            f"required/capacity outside {LOAD_BAND[0]:.2f}-{LOAD_BAND[1]:.2f}: {', '.join(off_band)}",
            file=sys.stderr,
        )
    if differing:
        print(f"differs from the generator: {', '.join(differing)}", file=sys.stderr)  # noqa: T201
        return 1
    return 1 if off_band else 0


if __name__ == "__main__":
    sys.exit(main())
