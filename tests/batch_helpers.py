"""Small tenants for the batch tests: slices of the sample tenant's current export."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from planner.sample import sample_dir

#: plan options every test tenant shares (small, so a report takes seconds)
DEFAULTS = {"scenarios": 100, "seed": 3, "horizon_days": 120}


def write_tenant_export(path: Path, start: int, step: int) -> Path:
    """Every ``step``-th row of the sample's current export from ``start``, as one CSV."""
    export = next((sample_dir() / "exports").glob("Export.callingplans.*.zip"))
    with zipfile.ZipFile(export) as zf:
        member = next(n for n in zf.namelist() if n.endswith(".csv"))
        lines = zf.read(member).decode("utf-8-sig").splitlines(keepends=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(lines[0] + "".join(lines[1 + start :: step]), encoding="utf-8")
    return path


def write_tenants(root: Path, *, broken: bool = True) -> Path:
    """``root/tenants.yaml`` with tenants ``alpha``, ``beta`` (with a balance) and, when
    ``broken``, ``broken`` (an input that is not a usage export)."""
    write_tenant_export(root / "alpha" / "usage.csv", 0, 12)
    write_tenant_export(root / "beta" / "usage.csv", 5, 12)
    (root / "beta" / "lots.csv").write_text("purchase_date,amount\n2026-09-15,120.00\n")
    (root / "broken.csv").write_text("not,a,usage,export\n1,2,3,4\n")
    lines = ["defaults:"] + [f"  {k}: {json.dumps(v)}" for k, v in DEFAULTS.items()]
    lines += [
        "tenants:",
        "  - name: alpha",
        "    exports: [alpha]",
        "  - name: beta",
        "    exports: beta/usage.csv",
        "    balance: beta/lots.csv",
        "    current_recharge_amount: 50",
        "    current_threshold: 50",
    ]
    if broken:
        lines += ["  - name: broken", "    exports: [broken.csv]"]
    path = root / "tenants.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def single_run_argv(root: Path, name: str, out: Path) -> list[str]:
    """``planner report`` arguments giving the same report as tenant ``name`` of
    :func:`write_tenants`."""
    argv = ["report"]
    if name == "alpha":
        argv += [str(root / "alpha")]
    else:
        argv += [str(root / "beta" / "usage.csv"), "--balance", str(root / "beta" / "lots.csv")]
        argv += ["--current-recharge-amount", "50", "--current-threshold", "50"]
    for key, value in DEFAULTS.items():
        argv += [f"--{key.replace('_', '-')}", str(value)]
    return [*argv, "--out", str(out), "--no-progress"]


def summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text())
