"""The sample tenant: shipped files match the generator, and the data is worth analysing."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from planner.sample import CURRENT_HEADER, SAMPLE_SEED, generate_sample, sample_dir


@pytest.fixture(scope="module")
def tenant():
    return generate_sample()


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_shipped_sample_matches_generator(tenant):
    shipped = sample_dir()
    on_disk = {
        p.relative_to(shipped).as_posix()
        for p in shipped.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.parts)
    }
    assert on_disk == set(tenant.files), "regenerate with `planner sample --out data/sample`"
    for rel, data in tenant.files.items():
        disk = (shipped / rel).read_bytes()
        if rel.endswith(".zip"):
            assert _members(disk) == _members(data), rel
        else:
            assert disk == data, rel


def test_current_header_exact(tenant):
    (name,) = [k for k in tenant.files if "Export.callingplans." in k]
    members = _members(tenant.files[name])
    (csv_name,) = [m for m in members if m.endswith(".csv")]
    header = next(csv.reader(io.StringIO(members[csv_name].decode("utf-8"))))
    assert tuple(header) == CURRENT_HEADER
    assert SAMPLE_SEED == generate_sample.__defaults__[0]
