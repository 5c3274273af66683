"""Random quantised blocks dequantised by llama.cpp's own `gguf` Python package: the fixture
crates/ganglion-interp/tests/fixtures/quant_blocks.json, which `cargo test -p ganglion-interp`
checks the Rust dequantisation against.

    bench/interp/.venv/bin/python bench/interp/quant_fixture.py

Block bytes are uniform random except the f16 scale fields, which are set to finite random
halves (random bits there would give NaN/inf scales, which no real file has).
"""

import json
from importlib.metadata import version
from pathlib import Path

import gguf
import numpy as np
from gguf.quants import dequantize

ROOT = Path(__file__).resolve().parents[2]
T = gguf.GGMLQuantizationType
# type: (bytes per block, byte offsets of its f16 scales)
LAYOUT = {
    "Q4_0": (T.Q4_0, 18, [0]),
    "Q4_1": (T.Q4_1, 20, [0, 2]),
    "Q8_0": (T.Q8_0, 34, [0]),
    "Q4_K": (T.Q4_K, 144, [0, 2]),
    "Q6_K": (T.Q6_K, 210, [208]),
}
BLOCKS = 3


def main():
    rng = np.random.default_rng(20261206)
    cases = []
    for name, (qtype, size, scales) in LAYOUT.items():
        raw = rng.integers(0, 256, size=(BLOCKS, size), dtype=np.uint8)
        for b in range(BLOCKS):
            for off in scales:
                h = np.float16(rng.uniform(-2.0, 2.0) * 10.0 ** rng.integers(-3, 1))
                raw[b, off : off + 2] = np.frombuffer(h.tobytes(), dtype=np.uint8)
        values = dequantize(raw, qtype).astype(np.float32).ravel()
        assert np.all(np.isfinite(values))
        cases.append({"type": name, "hex": raw.tobytes().hex(), "values": [float(v) for v in values]})
    out = ROOT / "crates/ganglion-interp/tests/fixtures/quant_blocks.json"
    source = f"gguf {version('gguf')} gguf.quants.dequantize (bench/interp/quant_fixture.py)"
    with open(out, "w") as f:
        f.write('{"source": ' + json.dumps(source) + ',\n "cases": [\n')
        f.write(",\n".join("  " + json.dumps(c) for c in cases))
        f.write("\n]}\n")
    print(f"wrote {len(cases)} types × {BLOCKS} blocks to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
