"""Spec dicts as TOML text, for the importers (``ganglion.nir``, ``ganglion.sonata``) that
write a spec folder ``ganglion run`` can read: plain values first, then ``[table]`` for dict
sections and ``[[table]]`` rows for lists of dicts, values as scalars, arrays or inline tables."""

import json
import re

import numpy as np

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_key(k):
    """A key, quoted unless it is a bare TOML key."""
    return k if _BARE_KEY.match(k) else json.dumps(k, ensure_ascii=False)


def toml_value(v):
    """A value (bool, int, float, str, list/tuple, dict; numpy scalars too) as TOML."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"no TOML form for {v!r}")


def spec_to_toml(spec, header=()):
    """The spec dict as TOML text, each line of ``header`` as a leading comment."""
    def is_rows(v):
        return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)

    lines = [f"# {line}" for line in header]
    lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in spec.items()
              if not isinstance(v, dict) and not is_rows(v)]
    for section, body in spec.items():
        if isinstance(body, dict):
            lines += ["", f"[{toml_key(section)}]"]
            lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in body.items()]
        elif is_rows(body):
            for row in body:
                lines += ["", f"[[{toml_key(section)}]]"]
                lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in row.items()]
    return "\n".join(lines) + "\n"
