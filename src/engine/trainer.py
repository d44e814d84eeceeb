"""The training loop shared by every model: logging with throughput, periodic atomic checkpoints,
validation that keeps the best checkpoint, a NaN/Inf guard, and exact resumption."""
import json
import logging
import math
import os
import time

import numpy as np

from src.engine.checkpoint import CheckpointManager, load_checkpoint


class NonFiniteLoss(RuntimeError):
    pass


def get_logger(output_dir=None, name="ocr", rank=0):
    logger = logging.getLogger(f"{name}.rank{rank}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    fmt = logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S")
    if not any(type(h) is logging.StreamHandler for h in logger.handlers):
        stream = logging.StreamHandler()
        stream.setFormatter(fmt)
        logger.addHandler(stream)
    if output_dir:
        # A second run in the same process with the same name logs to its own folder, not the first one's.
        path = os.path.abspath(os.path.join(output_dir, "train.log"))
        for old in [h for h in logger.handlers if isinstance(h, logging.FileHandler) and h.baseFilename != path]:
            logger.removeHandler(old)
            old.close()
        if not any(isinstance(h, logging.FileHandler) for h in logger.handlers):
            os.makedirs(output_dir, exist_ok=True)
            handler = logging.FileHandler(path)
            handler.setFormatter(fmt)
            logger.addHandler(handler)
    return logger


class Trainer:
    """Runs ``step_cell`` over ``loader`` for ``epochs`` epochs.

    ``to_inputs(batch)`` turns a loader batch into (tuple of Tensors, number of images).
    ``format_losses(values)`` turns the step's outputs (NumPy) into the log text; the first value is
    the total loss that the NaN guard watches. ``validate()`` returns a dict of metrics.

    With ``sink_size`` > 0, ``make_sink(step_cell, batches, sink_size)`` (see :mod:`src.engine.sink`)
    returns a function that runs that many steps per call on batches the device pulls itself.
    """

    def __init__(self, step_cell, loader, to_inputs, epochs, output_dir, logger, prefix="model",
                 log_every=50, save_every=500, keep_last=3, validate=None, validate_every=0,
                 metric="word_accuracy", format_losses=None, max_steps=0, is_writer=True,
                 learning_rates=None, sink_size=0, make_sink=None):
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
        self.epoch, self.step_in_epoch, self.global_step = 0, 0, 0
        self.best_metric = -math.inf
        self.last_saved = None

    def resume(self, path):
        # The learning-rate table comes from the config, so a resumed run may lengthen its schedule.
        meta, _ = load_checkpoint(path, self.step_cell, skip=("learning_rate",))
        self.epoch = int(meta.get("epoch", 0))
        self.step_in_epoch = int(meta.get("step_in_epoch", 0))
        self.global_step = int(meta.get("global_step", 0))
        self.best_metric = float(meta.get("best_metric", -math.inf))
        if self.step_in_epoch >= self.loader.steps_per_epoch():
            self.epoch, self.step_in_epoch = self.epoch + 1, 0
        self.last_saved = path
        self.log.info(f"resumed from {path}: epoch {self.epoch + 1}, step {self.step_in_epoch}, "
                      f"global step {self.global_step}")

    def _meta(self):
        return {"epoch": self.epoch, "step_in_epoch": self.step_in_epoch,
                "global_step": self.global_step, "best_metric": float(self.best_metric)}

    def save(self):
        if self.is_writer:
            self.last_saved = self.manager.save(self.step_cell, self._meta())
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
                self.manager.save_best(self.step_cell, self._meta())
                self.log.info(f"new best {self.metric} {value:.4f}: saved best.ckpt")
        if self.is_writer:
            with open(os.path.join(self.output_dir, "validation.jsonl"), "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"global_step": self.global_step, **metrics}) + "\n")
        return metrics

    def run(self, resume=None):
        """Resume (a checkpoint path, or 'auto' for the newest one) and train; returns the last checkpoint."""
        if resume:
            path = self.manager.latest() if resume == "auto" else resume
            if path:
                self.resume(path)
            else:
                self.log.info("resume=auto: no checkpoint found, starting from scratch")
        start = time.time()
        try:
            last = self.fit()
        finally:
            self.loader.close()
        self.log.info(f"finished in {time.time() - start:.0f} s; last checkpoint {last}")
        return last

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
        from src.engine.sink import LoaderBatches, aligned_sink_size

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

        batches = LoaderBatches(self.loader, to_arrays, self.epoch, self.step_in_epoch, remaining)
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
    unless ``train.save_all_ranks``."""
    from src.config import save_config
    from src.engine import sink

    t = cfg["train"]
    is_writer = run["rank"] == 0 or t.get("save_all_ranks", False)
    if is_writer:
        save_config(cfg, os.path.join(t["output_dir"], "config.yaml"))
    sink_size = sink.resolve_sink_size(t.get("data_sink", "auto"), cfg["system"]["device_target"], t["log_every"])
    return Trainer(step_cell, loader, to_inputs, t["epochs"], t["output_dir"], logger, prefix=prefix,
                   log_every=t["log_every"], save_every=t["save_every"], keep_last=t["keep_last"],
                   validate=validate, validate_every=t["validate_every"], metric=metric,
                   format_losses=format_losses, max_steps=t["max_steps"], is_writer=is_writer,
                   learning_rates=learning_rates, sink_size=sink_size, make_sink=sink.mindspore_sink)
