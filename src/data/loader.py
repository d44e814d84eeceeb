"""A batch loader with worker processes, bounded prefetch, rank sharding and exact resumption.

The order of epoch ``e`` is a pure function of ``(seed, e)``, so a resumed run that skips the first
``k`` batches sees exactly the batches an uninterrupted run would have seen.
"""
import collections
import multiprocessing

import numpy as np

_WORKER_DATASET = None


def _init_worker(dataset):
    global _WORKER_DATASET
    import signal

    import cv2

    # Ctrl-C is the main process's to handle (it names the checkpoint to resume from); a worker
    # printing its own KeyboardInterrupt traceback would bury that line.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    cv2.setNumThreads(1)
    _WORKER_DATASET = dataset


# Training replaces unreadable samples; this many unreadable in a row means the data is broken.
MAX_CONSECUTIVE_UNREADABLE = 100


class UnreadableData(ValueError):
    pass


def dataset_name(dataset):
    source = getattr(dataset, "source", None)
    return getattr(dataset, "name", None) or getattr(source, "name", None) or type(dataset).__name__


def _load_one(dataset, k, epoch):
    return dataset.load(k, epoch) if getattr(dataset, "takes_epoch", False) else dataset.load(k)


def load_batch(dataset, indices, epoch=0, refill=True):
    """Load samples: (images or None, labels, unreadable-sample messages, dataset index of each row).

    ``refill`` (training): an undecodable sample is replaced by another sample of the same batch and
    reported, so a corrupt file never stops a run or changes the batch shape; when a whole batch is
    unreadable the samples after it are tried, and MAX_CONSECUTIVE_UNREADABLE failures in a row are
    an error naming the dataset. Without ``refill`` (evaluation) only readable samples are returned,
    never duplicates, with their indices so that callers can pair them with labels and lexicons.
    Datasets with random augmentation receive the epoch so that a resumed run draws the same ones."""
    images, labels, corrupt, rows = [], [], [], []
    for k in indices:
        try:
            image, label = _load_one(dataset, int(k), epoch)
        except ValueError as exc:  # CorruptImage and decoder errors
            corrupt.append(str(exc))
            continue
        images.append(image)
        labels.append(label)
        rows.append(int(k))
    if refill and not images:
        _load_replacement(dataset, indices, epoch, corrupt, images, labels, rows)
    if refill:
        for j in range(len(images), len(indices)):
            images.append(images[j % len(rows)])
            labels.append(labels[j % len(rows)])
            rows.append(rows[j % len(rows)])
    return (np.stack(images) if images else None), labels, corrupt, rows


def _load_replacement(dataset, indices, epoch, corrupt, images, labels, rows):
    """The first readable sample after an unreadable batch (deterministic, so resumption stays exact)."""
    size = len(dataset)
    failures = len(corrupt)
    start = int(indices[-1]) + 1 if len(indices) else 0
    tried = {int(k) for k in indices}
    for j in range(size):
        if failures >= MAX_CONSECUTIVE_UNREADABLE:
            break
        k = (start + j) % size
        if k in tried:
            continue
        try:
            image, label = _load_one(dataset, k, epoch)
        except ValueError:
            failures += 1
            continue
        images.append(image)
        labels.append(label)
        rows.append(k)
        return
    raise UnreadableData(f"{dataset_name(dataset)}: {failures} consecutive images are unreadable "
                         f"(first: {corrupt[0] if corrupt else '?'}); check the dataset")


def _worker_load(indices, epoch, refill):
    return load_batch(_WORKER_DATASET, indices, epoch, refill)


class BatchLoader:
    """``refill=False`` is the evaluation mode: unreadable samples are dropped from their batch (which
    is padded, and its count of real samples lowered) instead of replaced; see :func:`load_batch`."""

    def __init__(self, dataset, batch_size, shuffle=True, seed=0, drop_last=True, rank=0,
                 world_size=1, workers=1, prefetch=4, refill=True):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        self.rank, self.world_size = rank, world_size
        self.workers = workers
        self.prefetch = max(1, prefetch)
        self.refill = refill
        self._pool = None
        self.corrupt = []
        if self.steps_per_epoch() == 0:
            raise ValueError(f"{getattr(dataset, 'summary', lambda: 'dataset')()}: too few samples "
                             f"for one batch of {batch_size} x {world_size} ranks")

    def steps_per_epoch(self):
        per_rank = len(self.dataset) // self.world_size
        if self.drop_last:
            return per_rank // self.batch_size
        return -(-per_rank // self.batch_size)

    def epoch_indices(self, epoch):
        n = len(self.dataset)
        order = (np.random.default_rng([self.seed, epoch]).permutation(n) if self.shuffle
                 else np.arange(n))
        usable = (n // self.world_size) * self.world_size
        return order[:usable][self.rank::self.world_size]

    def _batches(self, epoch, start_step):
        mine = self.epoch_indices(epoch)
        for step in range(start_step, self.steps_per_epoch()):
            yield mine[step * self.batch_size: (step + 1) * self.batch_size]

    def _pool_get(self):
        if self._pool is None and self.workers > 0:
            context = multiprocessing.get_context("spawn")
            self._pool = context.Pool(self.workers, initializer=_init_worker, initargs=(self.dataset,))
        return self._pool

    def epoch(self, epoch, start_step=0):
        """Yield (images NCHW float32, labels, number of real samples) for one epoch."""
        for images, labels, count, _ in self.epoch_with_indices(epoch, start_step):
            yield images, labels, count

    def epoch_with_indices(self, epoch, start_step=0):
        """As :meth:`epoch`, plus the dataset index of each of the ``count`` real samples. Without
        ``refill`` a batch whose images are all unreadable is left out."""
        for loaded in self._loaded_batches(epoch, start_step):
            images, labels, corrupt, rows = loaded
            self.corrupt.extend(corrupt)
            if images is None:  # evaluation: nothing readable in this batch
                continue
            count = len(rows)  # real samples: readable ones, or all when refilling (the last batch may be short)
            if count < self.batch_size:
                # Pad the batch to the static batch size so the graph is not recompiled.
                reps = self.batch_size - count
                images = np.concatenate([images, np.repeat(images[-1:], reps, axis=0)])
                labels = list(labels) + [labels[-1]] * reps
            yield images, labels, count, rows[:count]

    def _loaded_batches(self, epoch, start_step):
        """load_batch results in order, from worker processes with bounded prefetch when there are any."""
        pool = self._pool_get()
        pending = collections.deque()
        for indices in self._batches(epoch, start_step):
            if pool is None:
                yield load_batch(self.dataset, indices, epoch, self.refill)
                continue
            pending.append(pool.apply_async(_worker_load, (indices, epoch, self.refill)))
            if len(pending) >= self.prefetch:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()

    def close(self):
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None
