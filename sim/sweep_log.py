"""The resumable JSON-lines output file of :func:`sim.sweep` (the format is described in the :mod:`sim.sweep` module
docstring) and the keys of its lines.

* ``_FORMAT`` -- the version of the line format, written on every line and part of every key.
* ``_hash`` -- the key of a run or a prediction: a SHA-256 prefix of the sorted-key JSON of what identifies it.
* ``_Log`` -- the open file.

Changing ``_FORMAT`` or ``_hash`` changes every key: an existing file would no longer be resumed.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

_FORMAT = 1  # version of the JSON-line format (part of every key)


def _hash(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:20]


class _Log:
    """The JSON-lines file: read back, cut a partial last line, append + fsync; ``flock``-ed while open."""

    def __init__(self, path):
        self.path = Path(path)
        self.f = open(self.path, "a+b")  # noqa: SIM115 -- closed in close()
        try:
            import fcntl

            fcntl.flock(self.f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # pragma: no cover -- not POSIX: no locking
            pass
        except OSError as exc:
            self.f.close()
            raise RuntimeError(f"{self.path} is in use by another sweep") from exc
        self.f.seek(0)
        data = self.f.read()
        end = data.rfind(b"\n") + 1
        if end < len(data):  # a crash mid-write: drop the partial line so appends start on a fresh line
            self.f.truncate(end)
            self.f.flush()
            os.fsync(self.f.fileno())
        self.records, self.bad = [], 0
        for line in data[:end].splitlines():
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict) or rec.get("format") != _FORMAT:
                    raise ValueError
            except ValueError:
                self.bad += 1
                continue
            self.records.append(rec)
        self.truncated = end < len(data)

    def append(self, rec: dict) -> None:
        self.f.write(json.dumps(rec, allow_nan=False).encode() + b"\n")
        self.f.flush()
        os.fsync(self.f.fileno())

    def close(self) -> None:
        self.f.close()
