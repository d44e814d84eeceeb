"""Writing results without losing any: every file goes through a temporary file in its folder, then into place.

Without ``overwrite`` a result is linked into place only if nothing is there yet, so of two runs writing the same
file the second fails with one line instead of silently replacing the first's; with ``overwrite`` it is renamed
over what is there, which replaces a symbolic link itself, never the file the link points to.
"""
import os
import tempfile


class OutputExists(ValueError):
    pass


def write_file(path, data, overwrite=False):
    """Write ``data`` (bytes or str) to ``path`` as described in the module docstring."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if overwrite:
            os.replace(tmp, path)
        else:
            _place_new(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _place_new(tmp, path):
    try:
        os.link(tmp, path)
        return
    except FileExistsError:
        raise OutputExists(f"{path}: already exists (another run wrote it meanwhile?); not replaced, pass "
                           f"--overwrite to replace it") from None
    except OSError:
        pass  # no hard links on this file system: create exclusively instead
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise OutputExists(f"{path}: already exists (another run wrote it meanwhile?); not replaced, pass "
                           f"--overwrite to replace it") from None
    with os.fdopen(fd, "wb") as handle, open(tmp, "rb") as source:
        handle.write(source.read())


class LineWriter:
    """A JSON-lines file written through a temporary file and put in place on :meth:`close` (also after an error
    part-way: the lines written so far are kept), by :func:`write_file`'s rules."""

    def __init__(self, path, overwrite=False):
        self.path, self.overwrite = path, overwrite
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
        self.handle = os.fdopen(fd, "w", encoding="utf-8")

    def write(self, line):
        self.handle.write(line.rstrip("\n") + "\n")

    def close(self):
        if self.handle.closed:
            return
        self.handle.close()
        try:
            if self.overwrite:
                os.replace(self.tmp, self.path)
            else:
                _place_new(self.tmp, self.path)
        finally:
            if os.path.exists(self.tmp):
                os.unlink(self.tmp)
