"""The standard scene-text recognition LMDB layout (MJSynth, SynthText and the public test sets).

Keys: ``num-samples`` -> N; for i in 1..N: ``image-%09d`` -> encoded image bytes,
``label-%09d`` -> UTF-8 label; optionally ``lexicon-%09d`` -> comma-separated candidate words.

A ``num-samples`` larger than the records present is refused when the database is opened (the last
record must exist) and a missing label further in is a one-line error naming the record; a label
that is not UTF-8 reads as None, for the dataset to skip and count.
"""
import os

import lmdb


def image_key(i):
    return b"image-%09d" % i


def label_key(i):
    return b"label-%09d" % i


def lexicon_key(i):
    return b"lexicon-%09d" % i


# py-lmdb refuses to open one environment twice in a process, so readers share one per path.
_OPEN_ENVS = {}


def open_read_only(path):
    # The data file's identity is part of the key: a database replaced in place (a converter's
    # --overwrite) must not be read through the environment of the one it replaced.
    stat = os.stat(os.path.join(path, "data.mdb"))
    key = (os.path.realpath(path), os.getpid(), stat.st_dev, stat.st_ino)
    if key not in _OPEN_ENVS:
        _OPEN_ENVS[key] = lmdb.open(path, readonly=True, lock=False, readahead=False, meminit=False,
                                    max_readers=64)
    return _OPEN_ENVS[key]


def is_lmdb(path):
    return os.path.isfile(os.path.join(path, "data.mdb"))


class LmdbReader:
    """Read-only access to a recognition LMDB. Opens lazily so it can be shared with worker
    processes (each process opens its own environment after fork)."""

    def __init__(self, path):
        if not is_lmdb(path):
            raise FileNotFoundError(f"{path}: not an LMDB folder (no data.mdb)")
        self.path = path
        self._env = None
        self._pid = None
        with self._open().begin() as txn:
            raw = txn.get(b"num-samples")
            if raw is None:
                raise ValueError(f"{path}: LMDB has no 'num-samples' key")
            try:
                self.num_samples = int(raw.decode("ascii"))
            except (UnicodeDecodeError, ValueError):
                raise ValueError(f"{path}: LMDB 'num-samples' is not a number: {raw[:40]!r}") from None
            if self.num_samples < 0:
                raise ValueError(f"{path}: LMDB 'num-samples' is negative ({self.num_samples})")
            last = self.num_samples
            if last and (txn.get(label_key(last)) is None or txn.get(image_key(last)) is None):
                raise ValueError(f"{path}: LMDB says num-samples {last} but record {last:09d} "
                                 f"(label/image) is missing: the database is truncated or num-samples is wrong")

    def _open(self):
        if self._env is None or self._pid != os.getpid():
            self._env = open_read_only(self.path)
            self._pid = os.getpid()
        return self._env

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_env"] = None
        return state

    def __len__(self):
        return self.num_samples

    def _decode_label(self, raw, index):
        """The label, or None when it is not UTF-8; a missing record is an error."""
        if raw is None:
            raise ValueError(f"{self.path}[label-{index + 1:09d}]: record missing "
                             f"(num-samples is {self.num_samples})")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def label(self, index):
        with self._open().begin() as txn:
            return self._decode_label(txn.get(label_key(index + 1)), index)

    def labels(self):
        with self._open().begin() as txn:
            return [self._decode_label(txn.get(label_key(i + 1)), i) for i in range(self.num_samples)]

    def image_bytes(self, index):
        with self._open().begin() as txn:
            return txn.get(image_key(index + 1))

    def lexicon(self, index):
        with self._open().begin() as txn:
            raw = txn.get(lexicon_key(index + 1))
        if not raw:
            return None
        try:
            return raw.decode("utf-8").split(",")
        except UnicodeDecodeError:
            raise ValueError(f"{self.path}[lexicon-{index + 1:09d}]: lexicon is not UTF-8") from None


class LmdbWriter:
    """Writes samples in the standard layout. Commits in chunks; ``num-samples`` is written last,
    so an interrupted conversion leaves a database that readers reject rather than misread."""

    def __init__(self, path, map_size=1 << 40, commit_every=1000):
        if is_lmdb(path):  # adding to an existing database would mix its records with the new ones
            raise FileExistsError(f"{path}: an LMDB already exists here; write a new database into an empty folder")
        os.makedirs(path, exist_ok=True)
        self.env = lmdb.open(path, map_size=map_size)
        self.count = 0
        self.commit_every = commit_every
        self._txn = self.env.begin(write=True)
        self._txn.delete(b"num-samples")

    def add(self, image_bytes, label, lexicon=None):
        self.count += 1
        self._txn.put(image_key(self.count), image_bytes)
        self._txn.put(label_key(self.count), label.encode("utf-8"))
        if lexicon:
            self._txn.put(lexicon_key(self.count), ",".join(lexicon).encode("utf-8"))
        if self.count % self.commit_every == 0:
            self._txn.commit()
            self._txn = self.env.begin(write=True)

    def close(self):
        self._txn.put(b"num-samples", str(self.count).encode())
        self._txn.commit()
        self.env.sync()
        self.env.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self._txn.abort()
            self.env.close()
