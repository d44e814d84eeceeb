"""Paths named by annotation files: they must stay inside the dataset folder."""
import os


class RootGuard:
    """Resolves names under a dataset folder and refuses those that land outside it (``..``, an
    absolute path, or a symlink pointing elsewhere): annotation files are untrusted and must not make
    a converter or loader read arbitrary files of the machine. Folders are resolved once and cached,
    so checking a large labels.tsv costs one lstat per line."""

    def __init__(self, root):
        self.real_root = os.path.realpath(root)
        self._prefix = os.path.join(self.real_root, "")  # the root with a trailing separator
        self._real_dirs = {}

    def resolve(self, name):
        """The real path of ``name``, or None when it is outside the root (or is the root itself)."""
        head, tail = os.path.split(os.path.join(self.real_root, name))
        real_dir = self._real_dirs.get(head)
        if real_dir is None:
            real_dir = self._real_dirs[head] = os.path.realpath(head)
        path = os.path.join(real_dir, tail)
        if tail in ("", ".", "..") or os.path.islink(path):
            path = os.path.realpath(path)
        return path if path.startswith(self._prefix) else None


def inside_root(root, name):
    """One-off :meth:`RootGuard.resolve`."""
    return RootGuard(root).resolve(name)
