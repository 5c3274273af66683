"""Make the pytest fixture crates/ganglion-py/tests/data/sonata/300_pointneurons/ from NEST's
SONATA example (the same network, repacked to fit a small fixture) and record NEST's spikes
for it.

The example is 2.6 MB, mostly the edge files' optional `indices` groups (which neither NEST nor
ganglion.sonata reads). The fixture keeps every config, CSV and JSON file unchanged, and of the
HDF5 files every dataset and attribute except `indices`, gzip-compressed (with the shuffle
filter); this script checks that each kept dataset equals the original. NEST's spikes
(nest_spikes.npy: SONATA node id of population "internal", time in ms, sorted by time then id)
come from running the original files (compare_nest.run_nest).

    bench/.venv/bin/python bench/sonata/make_fixture.py
"""

import pathlib
import shutil
import sys

import h5py
import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEST = ROOT / "crates/ganglion-py/tests/data/sonata/300_pointneurons"
sys.path.insert(0, str(HERE))
import compare_nest


def repack(src, dst):
    with h5py.File(src, "r") as fi, h5py.File(dst, "w") as fo:
        for k, v in fi.attrs.items():
            fo.attrs[k] = v

        def copy(name, obj):
            if "/indices" in "/" + name:
                return
            if isinstance(obj, h5py.Group):
                g = fo.require_group(name)
                for k, v in obj.attrs.items():
                    g.attrs[k] = v
            else:
                kw = (
                    {"compression": "gzip", "compression_opts": 9, "shuffle": True}
                    if obj.size > 16
                    else {}
                )
                d = fo.create_dataset(name, data=obj[()], **kw)
                for k, v in obj.attrs.items():
                    d.attrs[k] = v

        fi.visititems(copy)
    with h5py.File(src, "r") as fi, h5py.File(dst, "r") as fo:

        def check(name, obj):
            if isinstance(obj, h5py.Dataset) and "/indices" not in "/" + name:
                assert np.array_equal(obj[()], fo[name][()]) and obj.dtype == fo[name].dtype, name
                assert dict(obj.attrs) == dict(fo[name].attrs), name

        fi.visititems(check)


def main():
    ex = compare_nest.example_dir()
    if DEST.exists():
        shutil.rmtree(DEST)
    for f in sorted(ex.rglob("*")):
        rel = f.relative_to(ex)
        out = DEST / rel
        if f.is_dir():
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        if f.suffix == ".h5":
            repack(f, out)
        else:
            shutil.copyfile(f, out)
    ids, t, _ = compare_nest.run_nest(ex / "circuit_config.json", ex / "simulation_config.json")
    order = np.lexsort((ids, t))
    np.save(
        DEST.parent / "300_pointneurons_nest_spikes.npy", np.column_stack([ids[order], t[order]])
    )
    size = sum(p.stat().st_size for p in DEST.parent.rglob("*") if p.is_file())
    print(f"{DEST.parent}: {size / 1e6:.2f} MB; NEST: {len(ids)} spikes")


if __name__ == "__main__":
    main()
