"""CRNN's train / evaluate / export / benchmark procedures, called by the top-level scripts."""
import numpy as np

from sceneocr.data.charset import Charset
from sceneocr.data.concat import Concat
from sceneocr.data.loader import BatchLoader
from sceneocr.data.mixed import MixedWordDataset, shares
from sceneocr.data.photos import backgrounds_from_config
from sceneocr.data.render import font_dirs_from_config
from sceneocr.data.words import WordDataset, more_confident, open_word_source, split_by_width
from sceneocr.runners import load_exported
from sceneocr.metrics import POOLED, write_report
from sceneocr.metrics.text import RecognitionMetrics

TASK = "crnn"


def build_charset(cfg):
    c = cfg["charset"]
    return Charset(c["alphabet"], c.get("case_fold", True), c.get("max_length", 23))


def build_network(cfg, charset, **overrides):
    from sceneocr.registry import build_registered  # this package registered its variants on import

    image = cfg["image"]
    return build_registered(cfg["model"]["name"], num_classes=charset.num_classes,
                            in_channels=image["channels"], **overrides)


class ConcatSource(Concat):
    """Several word sources read as one (comma-separated dataset paths)."""

    def __init__(self, sources):
        super().__init__(sources)
        self.trusted_labels = all(s.trusted_labels for s in sources)

    def label(self, i):
        source, j = self.locate(i)
        return source.label(j)

    def labels(self):
        return [label for s in self.parts for label in s.labels()]

    def image(self, i):
        source, j = self.locate(i)
        return source.image(j)

    def lexicon(self, i):
        source, j = self.locate(i)
        return source.lexicon(j)


def dataset_entries(spec):
    """A dataset value as a list of ``{source, ratio, augment}``: a string (comma-separated paths),
    or a list of strings and mappings like ``{source: data/real, ratio: 0.4, augment: true}``."""
    if spec is None or spec == "":
        return []
    items = spec if isinstance(spec, list) else [spec]
    entries = []
    for item in items:
        if isinstance(item, dict):
            unknown = set(item) - {"source", "ratio", "augment"}
            if "source" not in item or unknown:
                raise ValueError(f"dataset entry {item!r}: expected keys source, ratio, augment")
            sources, ratio, augment = str(item["source"]), item.get("ratio"), bool(item.get("augment", False))
        else:
            sources, ratio, augment = str(item), None, False
        parts = [p.strip() for p in sources.split(",") if p.strip()]
        if parts:
            entries.append({"source": parts, "ratio": ratio, "augment": augment})
    return entries


def _word_dataset(cfg, charset, parts, num_samples, seed, widths=None):
    data, image = cfg["data"], cfg["image"]
    # Fonts and photos matter to synthetic words only: evaluating real words (e.g. with the shipped
    # config, whose font folders are relative to the training checkout) must not need them.
    synthetic = "synthetic" in parts
    fonts = font_dirs_from_config(data.get("fonts")) if synthetic else ()
    backgrounds = backgrounds_from_config(data.get("backgrounds")) if synthetic else ()
    sources = [open_word_source(part, charset.alphabet, charset.max_length, num_samples, seed, fonts, backgrounds,
                                data.get("synth_margins"), data.get("synth_degrade"),
                                data.get("synth_rotation"))
               for part in parts]
    source = sources[0] if len(sources) == 1 else ConcatSource(sources)
    return WordDataset(source, charset, image["height"], image["width"], image["channels"], widths)


def build_dataset(cfg, charset, spec, num_samples, seed, widths=None):
    """A WordDataset, or a MixedWordDataset of ``num_samples`` draws per epoch when any entry of
    ``spec`` has a sampling ratio (entries without one then count as ratio 1). ``widths``: samples at the
    width their aspect picks from these (data.train_widths) instead of image.width."""
    entries = dataset_entries(spec)
    if not entries:
        raise ValueError("no dataset given")
    if not any(e["ratio"] is not None or e["augment"] for e in entries):
        return _word_dataset(cfg, charset, [p for e in entries for p in e["source"]], num_samples, seed, widths)
    ratios = [1.0 if e["ratio"] is None else float(e["ratio"]) for e in entries]
    counts = shares(ratios, num_samples)
    epochs = max(1, int(cfg["train"].get("epochs", 1)))
    # A synthetic part renders exactly the words its share needs over the run: none repeat.
    parts = [_word_dataset(cfg, charset, e["source"], max(1, int(n)) * epochs, seed + 1000 * j, widths)
             for j, (e, n) in enumerate(zip(entries, counts))]
    return MixedWordDataset(parts, ratios, num_samples, seed, [e["augment"] for e in entries],
                            cfg["data"].get("crop_jitter", (0.08, 0.08)))


def crnn_inputs(charset):
    import mindspore as ms

    def to_inputs(batch):
        images, labels, count = batch
        targets, lengths = charset.encode_batch(labels)
        return (ms.Tensor(images), ms.Tensor(targets), ms.Tensor(lengths)), count

    return to_inputs


def build_optimizer(cfg, params, learning_rates):
    import mindspore as ms
    import mindspore.nn as nn

    t = cfg["train"]
    lr = ms.Tensor(learning_rates)
    if t["optimizer"] == "sgd":
        return nn.SGD(params, learning_rate=lr, momentum=t["momentum"], nesterov=t.get("nesterov", False),
                      weight_decay=t.get("weight_decay", 0.0))
    if t["optimizer"] == "momentum":
        return nn.Momentum(params, learning_rate=lr, momentum=t["momentum"],
                           weight_decay=t.get("weight_decay", 0.0))
    if t["optimizer"] == "adam":
        return nn.Adam(params, learning_rate=lr, weight_decay=t.get("weight_decay", 0.0))
    raise ValueError(f"unknown optimizer '{t['optimizer']}' (use sgd, momentum or adam)")


def make_recognizer(runner, cfg):
    """A :class:`Recognizer` over ``runner`` (:mod:`sceneocr.runners`, or a MindSpore cell) decoding as ``cfg`` says
    (eval.lexicon_max_distance, eval.word_prior)."""
    from sceneocr.crnn.recognizer import Recognizer
    from sceneocr.crnn.word_prior import word_prior_from_config

    charset = build_charset(cfg)
    prior = word_prior_from_config(cfg, charset)
    options = dict(zip(("word_prior", "prior_weight", "prior_max_edits"), prior)) if prior else {}
    return Recognizer(runner, charset, cfg["eval"].get("lexicon_max_distance", 3), **options)


def load_recognizer(cfg, ckpt=None, mindir=None):
    """A :class:`Recognizer` from a checkpoint or an exported model (.mindir or .onnx)."""
    from sceneocr.crnn.model import CRNNInference
    from sceneocr.engine.checkpoint import load_checkpoint

    from sceneocr.runners import MindSporeRunner

    if mindir:  # an exported model: .mindir or .onnx
        return make_recognizer(load_exported(mindir), cfg)
    network = build_network(cfg, build_charset(cfg))
    if ckpt:
        load_checkpoint(ckpt, network)  # refuses parameters that do not fit, with counts
    network.set_train(False)
    return make_recognizer(MindSporeRunner(CRNNInference(network, fold_bn=True), source=ckpt), cfg)


def reads_at_several_widths(dataset, widths):
    """Whether ``widths`` (eval.rec_widths) make ``dataset``'s crops be read at widths other than its own."""
    return bool(widths) and list(widths) != [dataset.width]


def sample_index(dataset, k):
    """``{"sample": i}``, crop ``k``'s index in its source, so that a report can be read against the images
    (:mod:`sceneocr.cli.error_table`); empty for a mixed training draw, which has no fixed source index."""
    indices = getattr(dataset, "indices", None)
    return {} if indices is None else {"sample": int(indices[k])}


def evaluate_dataset(recognizer, dataset, batch_size, workers=0, use_lexicon=True, pooled=None, widths=None,
                     tall_ratio=0):
    """Word accuracy and friends on one dataset; returns (metrics, per-sample predictions).

    Unreadable images are left out, never replaced by other samples: they count in no metric and
    are reported as ``skipped_unreadable``. Lexicons are looked up by each sample's dataset index,
    so a skipped image cannot shift them onto other samples. ``pooled``: a RecognitionMetrics that
    also gets the counts (one result over several datasets). ``widths``: input widths to read the crops at,
    each at the one its aspect ratio picks (:func:`sceneocr.data.words.pick_width`), as the predictor does.
    ``tall_ratio`` (eval.tall_crop_ratio): crops at least that many times as tall as wide are also read turned a
    quarter either way, and the most confident reading counts (its prediction says ``turn``), as the predictor
    reads them; word datasets only (a mixed training draw has no fixed crops to turn)."""
    tall_ratio = tall_ratio if isinstance(dataset, WordDataset) else 0
    several = reads_at_several_widths(dataset, widths)
    if several and not isinstance(dataset, WordDataset):
        raise ValueError("eval.rec_widths applies to word datasets read for evaluation, not to mixed training draws")
    if several or tall_ratio:
        parts = split_by_width(dataset, widths if several else [dataset.width], tall_ratio)
    else:
        parts = [dataset]
    readings, corrupt = {}, 0   # dataset index -> (label, reading), the most confident of its turns
    for part in parts:
        turn = getattr(part, "turn", 0)
        loader = BatchLoader(part, batch_size, shuffle=False, drop_last=False, workers=workers, refill=False)
        try:
            for images, labels, count, indices in loader.epoch_with_indices(0):
                lexicons = None
                if use_lexicon:
                    lexicons = [part.lexicon(k) for k in indices] + [None] * (len(images) - count)
                    lexicons = lexicons if any(lexicons) else None
                results = recognizer.recognize(images, lexicons, count=count)[:count]
                for k, result, label in zip(indices, results, labels[:count]):
                    k = int(part.ks[k]) if part is not dataset else int(k)
                    if turn:
                        result = {**result, "turn": turn}
                    if k not in readings or more_confident(result, readings[k][1]):
                        readings[k] = (label, result)
        finally:
            loader.close()
        corrupt += len(loader.corrupt)
    order = sorted(readings)
    labels = [readings[k][0] for k in order]
    results = [readings[k][1] for k in order]
    metrics = RecognitionMetrics()
    metrics.update([r["text"] for r in results], labels, [r.get("lexicon_text") for r in results])
    if pooled is not None:
        pooled.merge(metrics)
    result = metrics.result()
    if corrupt:
        result["skipped_unreadable"] = corrupt
    return result, [{"label": label, **sample_index(dataset, k), **r} for k, label, r in zip(order, labels, results)]


def _log_recognition(name, metrics, logger):
    logger(f"{name}: " + ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in metrics.items()))


def train(cfg, run, logger):
    from sceneocr.crnn.loss import CRNNWithLoss
    from sceneocr.crnn.model import CRNNInference
    from sceneocr.crnn.recognizer import Recognizer
    from sceneocr.engine import sink
    from sceneocr.engine.checkpoint import load_from, starting_weights
    from sceneocr.engine.schedule import build_schedule
    from sceneocr.engine.train_step import count_parameters, train_step_for
    from sceneocr.engine.trainer import build_trainer

    t, data = cfg["train"], cfg["data"]
    # Nothing is written into train.output_dir here: the trainer claims it once the run is validated.
    charset = build_charset(cfg)
    # Training at the widths evaluation reads at: batches of one width each, several graphs (one per width).
    train_widths = data.get("train_widths") or None
    if train_widths and sink.resolve_sink_size(t.get("data_sink", "auto"), cfg["system"]["device_target"],
                                               t["log_every"]):
        raise ValueError("data.train_widths gives batches of several shapes, which a data sink cannot take: "
                         "set train.data_sink false")
    train_set = build_dataset(cfg, charset, data["train"], data["train_samples"], data["train_seed"], train_widths)
    logger.info(f"train data: {train_set.summary()}")
    if train_widths:
        logger.info(f"training reads each crop at the width its aspect picks from {sorted(train_widths)}, "
                    f"batched by width")
        if not cfg["eval"].get("rec_widths"):
            logger.info("eval.rec_widths is empty: validation reads at image.width, not at the training widths")
    loader = BatchLoader(train_set, t["batch_size"], shuffle=True, seed=cfg["system"]["seed"],
                         rank=run["rank"], world_size=run["group_size"], workers=data.get("workers", 1),
                         by_width=bool(train_widths))
    total_steps = t["max_steps"] or t["epochs"] * loader.steps_per_epoch()
    learning_rates = build_schedule(t["lr_schedule"], t["lr"], total_steps, t.get("warmup_steps", 0),
                                    t.get("min_lr", 0.0))

    network = build_network(cfg, charset)
    logger.info(f"model {cfg['model']['name']}: {count_parameters(network) / 1e6:.2f} M parameters")
    start = starting_weights(t, "crnn", logger.info)
    if start == "pretrained":
        from sceneocr.crnn.pretrained import init_from_vgg16

        init_from_vgg16(network, t["pretrained"], logger.info)
    elif start == "load_from":
        load_from(t["load_from"], network, cfg["charset"], logger.info)
    optimizer = build_optimizer(cfg, network.trainable_params(), learning_rates)
    step_cell = train_step_for(cfg, network, CRNNWithLoss(network), optimizer, logger.info)

    validate = None
    if data.get("val"):
        val_set = build_dataset(cfg, charset, data["val"], data["val_samples"], data["val_seed"])
        logger.info(f"validation data: {val_set.summary()}")
        widths = cfg["eval"].get("rec_widths")
        if reads_at_several_widths(val_set, widths) and not isinstance(val_set, WordDataset):
            raise ValueError("eval.rec_widths: validation reads crops at several widths, so data.val must be "
                             "word sources without sampling ratios or augmentation")
        if widths:
            logger.info(f"validation reads each crop at the width its aspect picks from {list(widths)}")
        recognizer = Recognizer(CRNNInference(network), charset)

        def validate():
            # At the widths evaluation reads at (eval.rec_widths), so best.ckpt is chosen as the release reads.
            network.set_train(False)
            metrics, _ = evaluate_dataset(recognizer, val_set, cfg["eval"]["batch_size"], use_lexicon=False,
                                          widths=widths, tall_ratio=cfg["eval"].get("tall_crop_ratio", 0))
            network.set_train(True)
            return metrics

    trainer = build_trainer(cfg, run, step_cell, loader, crnn_inputs(charset), logger, "crnn",
                            validate=validate if run["rank"] == 0 else None, metric="word_accuracy",
                            learning_rates=learning_rates)
    return trainer.run(t.get("resume"))


def evaluate(cfg, datasets, ckpt=None, mindir=None, report=None, logger=print, recognizer=None):
    """``recognizer``: one already loaded (e.g. on an ONNX backend), else one from ``ckpt`` / ``mindir``."""
    recognizer = recognizer or load_recognizer(cfg, ckpt, mindir)
    results, all_predictions, pooled = {}, {}, RecognitionMetrics()
    for spec in datasets:
        dataset = build_dataset(cfg, recognizer.charset, spec, cfg["data"]["val_samples"],
                                cfg["data"]["val_seed"])
        logger(f"evaluating {dataset.summary()}")
        # An exported file has one input width: eval.rec_widths cannot apply to it.
        widths = None if mindir else cfg["eval"].get("rec_widths")
        metrics, predictions = evaluate_dataset(recognizer, dataset, cfg["eval"]["batch_size"], pooled=pooled,
                                                widths=widths, tall_ratio=cfg["eval"].get("tall_crop_ratio", 0))
        results[spec] = metrics
        all_predictions[spec] = predictions
        _log_recognition(spec, metrics, logger)
        # The model zoo's result line, so numbers can be compared with its logs.
        logger(f"result: {{'CRNNAccuracy': {metrics['word_accuracy']:.4f}}}")
    if len(datasets) > 1:
        results[POOLED] = pooled.result()
        _log_recognition(f"all {len(datasets)} datasets pooled", results[POOLED], logger)
    if report:
        write_report(report, {"checkpoint": ckpt or mindir, "results": results, "predictions": all_predictions})
    return results


def export(cfg, ckpt, file_format, file_name, batch_size=None):
    """Export the inference graph (images -> log-probabilities). Returns the written path."""
    import mindspore as ms

    from sceneocr.crnn.model import CRNNInference
    from sceneocr.engine.checkpoint import load_checkpoint

    charset = build_charset(cfg)
    network = build_network(cfg, charset)
    if ckpt:
        load_checkpoint(ckpt, network)
    network.set_train(False)
    # The portable LSTM: ONNX has no bidirectional P.LSTM, and an exported graph may run elsewhere.
    network.rnn.fused = False
    image = cfg["image"]
    # batch_size None exports a dynamic batch dimension (MINDIR); ONNX and AIR need a fixed one.
    shape = [batch_size, image["channels"], image["height"], image["width"]]
    example = (ms.Tensor(np.zeros([batch_size or 1] + shape[1:], np.float32)) if batch_size
               else ms.Tensor(shape=shape, dtype=ms.float32))
    ms.export(CRNNInference(network, fold_bn=file_format != "ONNX"), example, file_name=file_name, file_format=file_format)
    return f"{file_name}.{file_format.lower()}"
