"""A batch loader with worker processes, bounded prefetch, rank sharding and exact resumption.

The order of epoch ``e`` is a pure function of ``(seed, e)``, so a resumed run that skips the first
``k`` batches sees exactly the batches an uninterrupted run would have seen.

Samples of several widths (a recogniser trained at the widths it reads at) are batched by width: the
samples of ``pool_steps`` consecutive batches are sorted by width and cut into batches again (see
:func:`group_by_width`), a pure function of ``(seed, epoch, pool)``, so resumption stays exact.
"""
import collections
import multiprocessing

import cv2
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


def load_batch(dataset, indices, epoch=0, refill=True, stack=True):
    """Load samples: (images or None, labels, unreadable-sample messages, dataset index of each row).
    ``stack=False``: images as a list (samples of different widths).

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
    if not stack:
        return images, labels, corrupt, rows
    return (np.stack(images) if images else None), labels, corrupt, rows


def fit_width(chw, width):
    """A CHW image resized across to ``width`` (unchanged if it has that width)."""
    if chw.shape[-1] == width:
        return chw
    channels, height = chw.shape[:2]
    resized = cv2.resize(np.ascontiguousarray(chw.transpose(1, 2, 0)), (width, height), interpolation=cv2.INTER_LINEAR)
    return resized.reshape(height, width, channels).transpose(2, 0, 1)


def group_by_width(images, labels, rows, batch_size, rng):
    """Batches of ``batch_size`` (a list of (images, labels, rows)) from CHW samples of several widths: the
    samples sorted by width (stable), cut into consecutive batches, each batch at the width of its middle
    sample, batches in the order ``rng`` permutes them to. A batch that straddles two widths squeezes or stretches
    its few samples of the other width to its own; larger pools leave fewer such batches."""
    order = sorted(range(len(images)), key=lambda i: images[i].shape[-1])
    batches = []
    for start in range(0, len(order), batch_size):
        members = order[start: start + batch_size]
        width = images[members[len(members) // 2]].shape[-1]
        batches.append((np.stack([fit_width(images[i], width) for i in members]),
                        [labels[i] for i in members], [rows[i] for i in members]))
    return [batches[i] for i in rng.permutation(len(batches))]


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


def _worker_load(indices, epoch, refill, stack=True):
    return load_batch(_WORKER_DATASET, indices, epoch, refill, stack)


class BatchLoader:
    """``refill=False`` is the evaluation mode: unreadable samples are dropped from their batch (which
    is padded, and its count of real samples lowered) instead of replaced; see :func:`load_batch`.

    ``by_width`` (training on samples of several widths; default: whether ``dataset.widths`` is set): the samples
    of every ``pool_steps`` batches are regrouped into batches of one width each (:func:`group_by_width`). Each
    rank regroups its own samples, so ranks may run different widths at a step (the slowest sets the pace)."""

    def __init__(self, dataset, batch_size, shuffle=True, seed=0, drop_last=True, rank=0,
                 world_size=1, workers=1, prefetch=4, refill=True, by_width=None, pool_steps=32):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        self.rank, self.world_size = rank, world_size
        self.workers = workers
        self.prefetch = max(1, prefetch)
        self.refill = refill
        if by_width is None:
            by_width = bool(getattr(dataset, "widths", None))
        self.by_width, self.pool_steps = bool(by_width), max(1, int(pool_steps))
        if self.by_width and not refill:
            raise ValueError("batching by width is for training (refill=True); evaluation splits a dataset by width")
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
        if self.by_width:
            yield from self._batches_by_width(epoch, start_step)
            return
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

    def _batches_by_width(self, epoch, start_step):
        """As :meth:`_loaded_batches`, the samples of each pool of ``pool_steps`` batches regrouped by width; with
        worker processes the next pool loads while this one is used (without, each pool loads when it is due)."""
        steps, size = self.steps_per_epoch(), self.pool_steps
        mine = self.epoch_indices(epoch)
        workers = self._pool_get()

        def chunks(p):
            return [mine[step * self.batch_size: (step + 1) * self.batch_size]
                    for step in range(p * size, min(steps, (p + 1) * size))]

        def submit(p):
            return [workers.apply_async(_worker_load, (c, epoch, self.refill, False)) for c in chunks(p)]

        pools = -(-steps // size)
        first = start_step // size
        pending = submit(first) if workers is not None and first < pools else None
        for p in range(first, pools):
            if workers is None:
                loaded = [load_batch(self.dataset, c, epoch, self.refill, stack=False) for c in chunks(p)]
            else:
                loaded = [r.get() for r in pending]
                pending = submit(p + 1) if p + 1 < pools else None
            images, labels, corrupt, rows = [], [], [], []
            for batch_images, batch_labels, batch_corrupt, batch_rows in loaded:
                images += batch_images
                labels += batch_labels
                corrupt += batch_corrupt
                rows += batch_rows
            batches = group_by_width(images, labels, rows, self.batch_size,
                                     np.random.default_rng([self.seed, epoch, p, 1]))
            skip = start_step - p * size if p == first else 0
            for j, (batch_images, batch_labels, batch_rows) in enumerate(batches[skip:]):
                yield batch_images, batch_labels, corrupt if j == 0 else [], batch_rows

    def close(self):
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None
