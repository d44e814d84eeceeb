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
    import cv2

    cv2.setNumThreads(1)
    _WORKER_DATASET = dataset


def load_batch(dataset, indices, epoch=0):
    """Load samples; an undecodable one is replaced by another sample of the same batch and
    reported, so a corrupt file never stops a run or changes the batch shape. Datasets with random
    augmentation receive the epoch so that a resumed run draws the same augmentations."""
    images, labels, corrupt = [], [], []
    takes_epoch = getattr(dataset, "takes_epoch", False)
    for k in indices:
        try:
            image, label = dataset.load(int(k), epoch) if takes_epoch else dataset.load(int(k))
        except ValueError as exc:  # CorruptImage and decoder errors
            corrupt.append(str(exc))
            continue
        images.append(image)
        labels.append(label)
    if not images:
        raise RuntimeError(f"every image of a batch is unreadable, first: {corrupt[0]}")
    while len(images) < len(indices):
        images.append(images[len(images) % max(1, len(images))])
        labels.append(labels[len(labels) % max(1, len(labels))])
    return np.stack(images), labels, corrupt


def _worker_load(indices, epoch):
    return load_batch(_WORKER_DATASET, indices, epoch)


class BatchLoader:
    def __init__(self, dataset, batch_size, shuffle=True, seed=0, drop_last=True, rank=0,
                 world_size=1, workers=1, prefetch=4):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        self.rank, self.world_size = rank, world_size
        self.workers = workers
        self.prefetch = max(1, prefetch)
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
        pool = self._pool_get()
        pending = collections.deque()
        batches = self._batches(epoch, start_step)
        for indices in batches:
            if pool is None:
                yield self._finish(load_batch(self.dataset, indices, epoch), len(indices))
                continue
            pending.append((pool.apply_async(_worker_load, (indices, epoch)), len(indices)))
            if len(pending) >= self.prefetch:
                result, count = pending.popleft()
                yield self._finish(result.get(), count)
        while pending:
            result, count = pending.popleft()
            yield self._finish(result.get(), count)

    def _finish(self, loaded, count):
        images, labels, corrupt = loaded
        self.corrupt.extend(corrupt)
        if count < self.batch_size:
            # Pad the last batch to the static batch size so the graph is not recompiled.
            reps = self.batch_size - count
            images = np.concatenate([images, np.repeat(images[-1:], reps, axis=0)])
            labels = list(labels) + [labels[-1]] * reps
        return images, labels, count

    def close(self):
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None
