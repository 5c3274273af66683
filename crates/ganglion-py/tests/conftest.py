"""Shared fixtures: the repository's examples and the `ganglion` command to compare with."""

import os
import pathlib
import shutil

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"


def _ganglion_bin():
    env = os.environ.get("GANGLION_BIN")
    if env:
        return pathlib.Path(env)
    found = [
        p
        for p in (ROOT / "target" / "debug" / "ganglion", ROOT / "target" / "release" / "ganglion")
        if p.is_file()
    ]
    if found:
        return max(found, key=lambda p: p.stat().st_mtime)
    which = shutil.which("ganglion")
    return pathlib.Path(which) if which else None


@pytest.fixture(scope="session")
def ganglion_bin():
    """The `ganglion` executable (GANGLION_BIN, else the newest target/{debug,release} build)."""
    b = _ganglion_bin()
    if b is None or not b.is_file():
        pytest.skip(
            "no `ganglion` executable: build it with `cargo build -p ganglion-cli` "
            "or set GANGLION_BIN (scripts/python-test.sh does)"
        )
    return b


@pytest.fixture(scope="session")
def cuba_path():
    return EXAMPLES / "cuba.toml"
