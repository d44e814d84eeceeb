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
    fd, tmp = _temporary(folder, path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if overwrite:
            os.replace(tmp, path)
        else:
            place_new(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _temporary(folder, path):
    """A temporary file beside ``path`` with the mode a plain ``open`` would give it (mkstemp's is owner-only)."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    mask = os.umask(0)
    os.umask(mask)
    os.fchmod(fd, 0o666 & ~mask)
    return fd, tmp


def place_new(tmp, path):
    """Put the finished file ``tmp`` at ``path`` only if nothing is there (a hard link, else an exclusive create);
    :class:`OutputExists` otherwise. ``tmp`` stays for the caller to remove."""
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
        fd, self.tmp = _temporary(folder, path)
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
                place_new(self.tmp, self.path)
        finally:
            if os.path.exists(self.tmp):
                os.unlink(self.tmp)

    def discard(self):
        """Nothing worth keeping (no line was written): remove the temporary file, put nothing in place."""
        self.handle.close()
        if os.path.exists(self.tmp):
            os.unlink(self.tmp)
