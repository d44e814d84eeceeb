"""The training loop shared by every model: logging with throughput, periodic atomic checkpoints,
validation that keeps the best checkpoint, a NaN/Inf guard, and exact resumption.

A run folder is protected: a new run into a folder that holds one is refused unless it resumes
(``train.resume auto``) or ``train.overwrite`` is true, which moves the old run to
``<folder>.old-<time>``. Nothing is written into the folder (config.yaml, train.log, checkpoints)
before the run has been validated: datasets open, the resume checkpoint fits the model. A run holds its folder
locked while it lives (:class:`RunFolderLock`), and a new run that stops before its first checkpoint leaves the
folder reusable.
"""
import contextlib
import json
import logging
import math
import os
import signal
import threading
import time

import numpy as np

from sceneocr.engine.checkpoint import (CheckpointManager, checkpoint_info, load_checkpoint, read_checkpoint_state,
                                        remove_stale_temporaries, resume_checkpoint)


class NonFiniteLoss(RuntimeError):
    pass


class TrainingInterrupted(RuntimeError):
    """Ctrl-C during training; the message names the checkpoint to resume from."""




class _PendingRecords(logging.Handler):
    """Keeps log records until the run's train.log may be written (after the run is validated)."""

    def __init__(self, capacity=10000):
        super().__init__()
        self.capacity, self.records = capacity, []

    def emit(self, record):
        if len(self.records) < self.capacity:
            self.records.append(record)


def get_logger(output_dir=None, name="ocr", rank=0):
    """A logger to the console and ``output_dir/train.log``. Without ``output_dir`` records wait in
    memory until :func:`attach_log_file` (the trainer calls it once the run is validated)."""
    logger = logging.getLogger(f"{name}.rank{rank}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    if not any(type(h) is logging.StreamHandler for h in logger.handlers):
        stream = logging.StreamHandler()
        stream.setFormatter(_formatter())
        logger.addHandler(stream)
    # A second run in the same process with the same name logs to its own folder, not the first one's.
    path = os.path.abspath(os.path.join(output_dir, "train.log")) if output_dir else None
    for old in [h for h in logger.handlers if isinstance(h, (logging.FileHandler, _PendingRecords))]:
        if not (isinstance(old, logging.FileHandler) and old.baseFilename == path):
            logger.removeHandler(old)
            old.close()
    if output_dir:
        attach_log_file(logger, output_dir)
    else:
        logger.addHandler(_PendingRecords())
    return logger


def _formatter():
    return logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S")


def attach_log_file(logger, output_dir):
    """Log into ``output_dir/train.log`` (appending), first writing the records kept so far."""
    path = os.path.abspath(os.path.join(output_dir, "train.log"))
    for old in [h for h in logger.handlers if isinstance(h, logging.FileHandler)]:
        if old.baseFilename == path and os.path.exists(path):
            return
        logger.removeHandler(old)  # another folder's, or this one's before the old run was moved aside
        old.close()
    os.makedirs(output_dir, exist_ok=True)
    handler = logging.FileHandler(path, mode="a", encoding="utf-8")
    handler.setFormatter(_formatter())
    for pending in [h for h in logger.handlers if isinstance(h, _PendingRecords)]:
        for record in pending.records:
            handler.handle(record)
        logger.removeHandler(pending)
    logger.addHandler(handler)


@contextlib.contextmanager
def stop_signals_interrupt():
    """Turn SIGTERM into KeyboardInterrupt while training. MindSpore's runtime installs its own SIGINT
    handler whenever a graph runs, and that handler raises SIGTERM: without this, Ctrl-C (or a
    scheduler's kill) ends the process silently instead of naming the checkpoint to resume from."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def holds_run(output_dir):
    """A saved config or any checkpoint: an empty checkpoints/ folder (a run that never saved) holds nothing."""
    if not os.path.isdir(output_dir):
        return False
    if os.path.exists(os.path.join(output_dir, "config.yaml")):
        return True
    folder = os.path.join(output_dir, "checkpoints")
    return os.path.isdir(folder) and any(name.endswith(".ckpt") for name in os.listdir(folder))


class RunFolderLock:
    """An exclusive lock on a run folder for the run's life (``flock`` on the folder itself, so no file is added to
    it): a second training started on the same folder (two resumes, or two fresh runs) stops with one line instead
    of writing beside the first. The lock goes with the process, so a killed run never leaves a stale one."""

    def __init__(self, output_dir):
        self.output_dir, self.fd = output_dir, None

    def acquire(self):
        import fcntl

        os.makedirs(self.output_dir, exist_ok=True)
        fd = os.open(self.output_dir, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise ValueError(f"{self.output_dir}: another training is using this run folder; wait for it to finish "
                             f"or choose another --train.output_dir") from None
        self.fd = fd

    @property
    def held(self):
        return self.fd is not None

    def release(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _inside(path, folder):
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return os.path.commonpath([path, folder]) == folder


def check_output_dir(output_dir, resume="", overwrite=False):
    """Refuse (one line) a run that would mix with or destroy the run in ``output_dir``; reads only.

    Returns True when an old run is there and ``overwrite`` asks to move it aside."""
    if os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise ValueError(f"{output_dir}: --train.output_dir is a file, not a folder")
    if overwrite and resume == "auto":
        raise ValueError(f"{output_dir}: --train.resume auto continues the run there and --train.overwrite true "
                         f"moves it aside; give one of them")
    if not holds_run(output_dir):
        return False
    if resume == "auto" or (resume and _inside(resume, output_dir)):
        return False  # continuing this run: logs and validation.jsonl are appended to
    if overwrite:
        return True
    raise ValueError(f"{output_dir} already holds a run (config.yaml, checkpoints/): continue it with "
                     f"--train.resume auto, replace it with --train.overwrite true (the old run is moved to "
                     f"{output_dir}.old-<time>), or choose another --train.output_dir")


def move_aside(output_dir):
    """Rename an old run to ``<output_dir>.old-<YYYYmmdd-HHMMSS>`` (never deleted); returns the new name."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target, n = f"{output_dir.rstrip(os.sep)}.old-{stamp}", 1
    while os.path.exists(target):
        target, n = f"{output_dir.rstrip(os.sep)}.old-{stamp}-{n}", n + 1
    os.rename(output_dir, target)
    return target


class Trainer:
    """Runs ``step_cell`` over ``loader`` for ``epochs`` epochs.

    ``to_inputs(batch)`` turns a loader batch into (tuple of Tensors, number of images).
    ``format_losses(values)`` turns the step's outputs (NumPy) into the log text; the first value is
    the total loss that the NaN guard watches. ``validate()`` returns a dict of metrics.

    With ``sink_size`` > 0, ``make_sink(step_cell, batches, sink_size)`` (see :mod:`sceneocr.engine.sink`)
    returns a function that runs that many steps per call on batches the device pulls itself.

    ``config`` (the resolved config) is saved as ``config.yaml`` and stored in every checkpoint with
    the task (``prefix``) and model name. ``overwrite`` lets :meth:`run` move an old run aside;
    ``guard_folder`` False (data-parallel ranks > 0, inside rank 0's folder) skips that check.
    """

    def __init__(self, step_cell, loader, to_inputs, epochs, output_dir, logger, prefix="model",
                 log_every=50, save_every=500, keep_last=3, validate=None, validate_every=0,
                 metric="word_accuracy", format_losses=None, max_steps=0, is_writer=True,
                 learning_rates=None, sink_size=0, make_sink=None, config=None, overwrite=False,
                 guard_folder=True):
        self.step_cell = step_cell
        self.loader = loader
        self.to_inputs = to_inputs
        self.epochs = epochs
        self.output_dir = output_dir
        self.log = logger
        self.log_every = max(1, log_every)
        self.save_every = save_every
        self.validate = validate
        self.validate_every = validate_every
        self.metric = metric
        self.format_losses = format_losses or (lambda v: f"loss {v[0]:.4f}")
        self.max_steps = max_steps
        self.is_writer = is_writer
        self.learning_rates = learning_rates
        self.sink_size, self.make_sink = sink_size, make_sink
        self.manager = CheckpointManager(os.path.join(output_dir, "checkpoints"), prefix, keep_last)
        self.prefix = prefix
        self.config, self.overwrite, self.guard_folder = config, overwrite, guard_folder
        self.info = checkpoint_info(self._config_to_save(), prefix) if config is not None else None
        self.epoch, self.step_in_epoch, self.global_step = 0, 0, 0
        self.best_metric = -math.inf
        self.last_saved = None

    def _config_to_save(self):
        # Overwriting is an action, not a setting: a saved config must never move its own run aside.
        train = {**self.config.get("train", {}), "overwrite": False} if "train" in self.config else None
        return {**self.config, "train": train} if train is not None else dict(self.config)

    def total_steps(self):
        """Steps this run trains in all (``max_steps`` caps the epochs)."""
        total = self.epochs * self.loader.steps_per_epoch()
        return min(total, self.max_steps) if self.max_steps else total

    def resume(self, path):
        """Continue from ``path``: its parameters must fit the training cell exactly (an error with
        counts otherwise), and the run it continues must not be finished."""
        # The checkpoint must fit the model first (a checkpoint of another model is refused whatever its step).
        # The learning-rate table comes from the config, so a resumed run may lengthen its schedule.
        meta, _ = load_checkpoint(path, self.step_cell, skip=("learning_rate",), weights_only=False)
        global_step = int(meta.get("global_step", 0))
        if global_step >= self.total_steps():
            raise ValueError(f"{path}: the run is finished (global step {global_step} of {self.total_steps()}); "
                             f"to train longer pass a larger --train.max_steps or --train.epochs")
        self.epoch = int(meta.get("epoch", 0))
        self.step_in_epoch = int(meta.get("step_in_epoch", 0))
        self.global_step = global_step
        self.best_metric = float(meta.get("best_metric", -math.inf))
        best = self.manager.best_path
        if _inside(path, self.output_dir) and os.path.isfile(best):
            # A step checkpoint may predate the latest validation: keep the run's best, not an older one.
            self.best_metric = max(self.best_metric, float(read_checkpoint_state(best)[0].get("best_metric", -math.inf)))
        steps_per_epoch = self.loader.steps_per_epoch()
        if self.epoch * steps_per_epoch + self.step_in_epoch != global_step:
            # The epoch length changed (e.g. more train_samples to train longer): the global step is what
            # the schedule counts, so place the run by it. A finished one-epoch run would otherwise sit at
            # "epoch 2, step 0" of a one-epoch schedule and stop at once.
            self.epoch, self.step_in_epoch = divmod(global_step, steps_per_epoch)
        if self.step_in_epoch >= steps_per_epoch:
            self.epoch, self.step_in_epoch = self.epoch + 1, 0
        self.last_saved = path
        self.log.info(f"resumed from {path}: epoch {self.epoch + 1}, step {self.step_in_epoch}, "
                      f"global step {self.global_step}")

    def _meta(self):
        return {"epoch": self.epoch, "step_in_epoch": self.step_in_epoch,
                "global_step": self.global_step, "best_metric": float(self.best_metric)}

    def save(self):
        if self.is_writer:
            self.last_saved = self.manager.save(self.step_cell, self._meta(), self.info)
        return self.last_saved

    def _run_validation(self):
        if self.validate is None:
            return None
        metrics = self.validate()
        value = metrics.get(self.metric)
        text = ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in metrics.items())
        self.log.info(f"validation at step {self.global_step}: {text}")
        if value is not None and value > self.best_metric:
            self.best_metric = value
            if self.is_writer:
                self.manager.save_best(self.step_cell, self._meta(), self.info)
                self.log.info(f"new best {self.metric} {value:.4f}: saved best.ckpt")
        if self.is_writer:
            with open(os.path.join(self.output_dir, "validation.jsonl"), "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"global_step": self.global_step, **metrics}) + "\n")
        return metrics

    def run(self, resume=None):
        """Resume (a checkpoint path, or 'auto' for the newest one) and train; returns the last checkpoint.

        Everything is checked before the first file is written; Ctrl-C raises :class:`TrainingInterrupted`
        naming the checkpoint to resume from."""
        old_lock, lock = RunFolderLock(self.output_dir), RunFolderLock(self.output_dir)
        held_before, fresh = holds_run(self.output_dir), False  # fresh: this run starts the folder it writes to
        try:
            with stop_signals_interrupt():
                if held_before:
                    old_lock.acquire()  # before reading the run: a second resume stops here
                move_old_run = self.guard_folder and check_output_dir(self.output_dir, resume, self.overwrite)
                if resume:
                    path = resume_checkpoint(resume, self.output_dir, self.manager.prefix)
                    if path:
                        self.resume(path)
                    else:
                        self.log.info("resume=auto: no checkpoint found, starting from scratch")
                if not move_old_run:  # this run continues in the folder it locked (if any)
                    lock, old_lock = old_lock, RunFolderLock(self.output_dir)
                self._open_run_folder(move_old_run, lock, not held_before or move_old_run)
                fresh = not held_before or move_old_run
                start = time.time()
                last = self.fit()
        except KeyboardInterrupt:
            message = self._interrupted_message()
            self._log_to_file_only(f"stopped: {message}")  # the console gets it once, from the caller
            if fresh:
                self._forget_untrained_run()
            raise TrainingInterrupted(message) from None
        except BaseException:
            if fresh:
                self._forget_untrained_run()
            raise
        finally:
            self.loader.close()
            lock.release()
            old_lock.release()
        self.log.info(f"finished in {time.time() - start:.0f} s; last checkpoint {last}")
        return last

    def _open_run_folder(self, move_old_run, lock, fresh):
        """The run is valid: claim the folder, then write its log, config and (later) checkpoints. The old run is
        moved aside while its lock is still held; the lock then taken on the folder this run writes to is checked
        once more: a run that another process started there meanwhile is not written into."""
        from sceneocr.config import save_config

        moved = move_aside(self.output_dir) if move_old_run else None
        if not lock.held:
            lock.acquire()
            if fresh and holds_run(self.output_dir):
                raise ValueError(f"{self.output_dir}: another run started in this folder meanwhile; choose another "
                                 f"--train.output_dir")
        attach_log_file(self.log, self.output_dir)
        if moved:
            self.log.info(f"--train.overwrite: the previous run in {self.output_dir} was moved to {moved}")
        if self.is_writer:
            stale = remove_stale_temporaries(self.manager.directory)
            if stale:
                self.log.info(f"removed {len(stale)} temporary file(s) of an interrupted save, e.g. {stale[0]}")
            if self.config is not None:
                save_config(self._config_to_save(), os.path.join(self.output_dir, "config.yaml"))

    def _forget_untrained_run(self):
        """A new run that stopped before its first checkpoint trained nothing to keep: its config.yaml goes, so the
        corrected rerun is not refused as "already holds a run" (train.log stays, and the rerun appends to it)."""
        if not self.is_writer or self.manager.latest() or os.path.isfile(self.manager.best_path):
            return
        config = os.path.join(self.output_dir, "config.yaml")
        if os.path.isfile(config):
            os.remove(config)
            self._log_to_file_only("stopped before the first checkpoint: config.yaml removed, so the folder can be "
                                   "used again")

    def _log_to_file_only(self, text):
        record = self.log.makeRecord(self.log.name, logging.INFO, __file__, 0, text, None, None)
        for handler in self.log.handlers:
            if isinstance(handler, logging.FileHandler):
                handler.handle(record)

    def _interrupted_message(self):
        newest = self.manager.latest() or self.last_saved
        where = f"interrupted at global step {self.global_step}"
        if not newest:
            return f"{where}; no checkpoint saved yet, nothing to resume"
        config = os.path.join(self.output_dir, "config.yaml")
        command = (f"python train.py --model {self.prefix} --config {config} --train.resume auto"
                   if os.path.isfile(config) else f"--train.resume {newest}")
        return f"{where}; newest checkpoint {newest}; resume with: {command}"

    def _check_finite(self, values, steps=1):
        if not all(math.isfinite(v) for v in values):
            where = (f"step {self.step_in_epoch}" if steps == 1 else
                     f"one of steps {self.step_in_epoch - steps + 1}-{self.step_in_epoch}")
            raise NonFiniteLoss(
                f"loss became {values[0]} at epoch {self.epoch + 1} {where} "
                f"(global step {self.global_step}); stopped without saving these weights. "
                f"Last good checkpoint: {self.last_saved or 'none yet'}")

    def _log_progress(self, values, images, elapsed, wait_text):
        lr = ""
        if self.learning_rates is not None:
            lr = f" lr {self.learning_rates[min(self.global_step, len(self.learning_rates)) - 1]:.5f}"
        self.log.info(
            f"epoch {self.epoch + 1} step {self.step_in_epoch}/{self.loader.steps_per_epoch()} "
            f"global {self.global_step} {self.format_losses(values)}{lr} "
            f"img/s {images / max(elapsed, 1e-9):.1f} {wait_text}")

    def _after_steps(self, steps):
        """Save and validate when the last ``steps`` steps crossed a multiple of their intervals."""
        before = self.global_step - steps
        if self.save_every and self.global_step // self.save_every > before // self.save_every:
            self.save()
        if self.validate_every and self.global_step // self.validate_every > before // self.validate_every:
            self._run_validation()

    def fit(self):
        steps_per_epoch = self.loader.steps_per_epoch()
        self.log.info(f"training: {self.epochs} epochs x {steps_per_epoch} steps per epoch")
        if self.sink_size:
            self._fit_sunk()
        else:
            self._fit_stepwise()
        path = self.save()
        if self.validate is not None and (not self.validate_every or self.global_step % self.validate_every):
            self._run_validation()
        if self.loader.corrupt:
            self.log.info(f"skipped {len(self.loader.corrupt)} unreadable images; first: {self.loader.corrupt[0]}")
        return path

    @staticmethod
    def _values(outputs):
        return [float(np.asarray(o.asnumpy()).mean()) for o in (outputs if isinstance(outputs, tuple) else (outputs,))]

    def _fit_stepwise(self):
        steps_per_epoch = self.loader.steps_per_epoch()
        window_images, window_start, window_wait = 0, time.time(), 0.0
        stop = False
        while self.epoch < self.epochs and not stop:
            fetch_start = time.time()
            for batch in self.loader.epoch(self.epoch, self.step_in_epoch):
                inputs, images = self.to_inputs(batch)
                window_wait += time.time() - fetch_start
                values = self._values(self.step_cell(*inputs))
                self.step_in_epoch += 1
                self.global_step += 1
                window_images += images
                self._check_finite(values)
                if self.global_step % self.log_every == 0 or self.step_in_epoch == steps_per_epoch:
                    elapsed = time.time() - window_start
                    self._log_progress(values, window_images, elapsed,
                                       f"data_wait {100 * window_wait / max(elapsed, 1e-9):.0f}%")
                    window_images, window_start, window_wait = 0, time.time(), 0.0
                self._after_steps(1)
                if self.max_steps and self.global_step >= self.max_steps:
                    stop = True
                    break
                fetch_start = time.time()
            if not stop:
                self.epoch, self.step_in_epoch = self.epoch + 1, 0

    def _fit_sunk(self):
        from sceneocr.engine.sink import LoaderBatches, aligned_sink_size

        steps_per_epoch = self.loader.steps_per_epoch()
        total = self.epochs * steps_per_epoch
        if self.max_steps:
            total = min(total, self.max_steps)
        remaining = total - (self.epoch * steps_per_epoch + self.step_in_epoch)
        if remaining <= 0:
            return
        size = aligned_sink_size(self.sink_size, self.log_every, self.save_every, self.validate_every,
                                 steps_per_epoch, total, self.global_step, self.step_in_epoch)
        self.log.info(f"data sink: {size} steps per call" +
                      ("" if size == self.sink_size else f" (asked {self.sink_size}; reduced to divide "
                       f"the log/save/validate intervals, the epoch and the run)"))

        def to_arrays(batch):
            return tuple(t.asnumpy() for t in self.to_inputs(batch)[0])

        batches = LoaderBatches(self.loader, to_arrays, self.epoch, self.step_in_epoch, remaining,
                                getattr(self.to_inputs, "num_inputs", 3))
        run_steps = self.make_sink(self.step_cell, batches, size)
        window_start, window_steps = time.time(), 0
        for _ in range(remaining // size):
            values = self._values(run_steps())
            self.global_step += size
            self.step_in_epoch += size
            window_steps += size
            self._check_finite(values, size)
            if self.global_step % self.log_every == 0 or self.step_in_epoch == steps_per_epoch:
                self._log_progress(values, window_steps * self.loader.batch_size, time.time() - window_start,
                                   "(data sink)")
                window_start, window_steps = time.time(), 0
            self._after_steps(size)
            if self.step_in_epoch == steps_per_epoch and self.global_step < total:
                self.epoch, self.step_in_epoch = self.epoch + 1, 0


def build_trainer(cfg, run, step_cell, loader, to_inputs, logger, prefix, validate=None, metric="word_accuracy",
                  format_losses=None, learning_rates=None):
    """A :class:`Trainer` with the ``train`` section's settings: intervals, checkpoints, and the
    data sink (``train.data_sink``, Ascend by default). Rank 0 writes checkpoints and the config
    unless ``train.save_all_ranks``; nothing is written before :meth:`Trainer.run` has validated the run."""
    from sceneocr.engine import sink

    t = cfg["train"]
    is_writer = run["rank"] == 0 or t.get("save_all_ranks", False)
    sink_size = sink.resolve_sink_size(t.get("data_sink", "auto"), cfg["system"]["device_target"], t["log_every"])
    return Trainer(step_cell, loader, to_inputs, t["epochs"], t["output_dir"], logger, prefix=prefix,
                   log_every=t["log_every"], save_every=t["save_every"], keep_last=t["keep_last"],
                   validate=validate, validate_every=t["validate_every"], metric=metric,
                   format_losses=format_losses, max_steps=t["max_steps"], is_writer=is_writer,
                   learning_rates=learning_rates, sink_size=sink_size, make_sink=sink.mindspore_sink,
                   config=cfg, overwrite=bool(t.get("overwrite", False)), guard_folder=run["rank"] == 0)
