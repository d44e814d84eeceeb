"""DeepText's train / evaluate / export procedures, called by the top-level scripts."""
import os

import numpy as np

from sceneocr.data.concat import Concat
from sceneocr.data.detection import HOLDOUT_FORMATS, describe_box_counts
from sceneocr.data.detection_pipeline import DetectionDataset, load_rgb
from sceneocr.data.loader import BatchLoader
from sceneocr.data.render import font_dirs_from_config
from sceneocr.runners import load_exported
from sceneocr.metrics import POOLED, write_report
from sceneocr.metrics.detection import DetectionMetrics

TASK = "deeptext"
LOSS_NAMES = ("rpn_loss", "rcnn_loss", "rpn_cls_loss", "rpn_reg_loss", "rcnn_cls_loss", "rcnn_reg_loss")


SampleList = Concat  # several readers' samples (or synthetic scenes) behind one index


def build_samples(cfg, spec, num_samples, seed, logger=print, epochs=1):
    """``spec``: a data source value (sceneocr/data/detection_sources.py: 'synthetic', 'photo_synth', a list of
    {format, images, annotations[, split, holdout, ratio]} mappings), or 'val' for the config's data.val."""
    from sceneocr.data.detection_sources import GENERATED, build_detection_samples, source_entries
    from sceneocr.data.photos import backgrounds_from_config

    d = cfg["data"]
    if spec == "val":
        spec = d.get("val") or "synthetic"
    # Font and photo folders matter only to generated scenes: real ones are read where those folders are absent.
    generated = any(entry["format"] in GENERATED for entry in source_entries(spec))
    scene = {"height": d["scene_height"], "width": d["scene_width"], "max_words": d["max_words"],
             "font_dirs": font_dirs_from_config(d.get("fonts")) if generated else (),
             "backgrounds": backgrounds_from_config(d.get("backgrounds")) if generated else ()}
    return build_detection_samples(spec, num_samples, seed, scene, epochs, logger)


def build_dataset(cfg, spec, num_samples, seed, augment, logger=print):
    model = cfg["model"]
    samples = build_samples(cfg, spec, num_samples, seed, logger, epochs=cfg["train"]["epochs"])
    return DetectionDataset(samples, model["image_height"], model["image_width"], cfg["data"]["max_boxes"],
                            augment=augment, keep_ratio=cfg["data"]["keep_ratio"], seed=cfg["system"]["seed"],
                            **cfg["data"].get("augment", {}))


def build_model(cfg):
    from sceneocr.registry import build_registered  # this package registered its variants on import

    m = cfg["model"]
    backbone = m.get("backbone") or {}
    # Test-time proposals into the R-CNN head (its fully connected layers cost per proposal): 0 keeps the variant's.
    proposals = int(m.get("test_proposals") or 0)
    extra = {}
    if proposals:
        from sceneocr.registry import registered_defaults

        extra = {"test_post_nms": proposals,
                 "test_pre_nms": max(proposals, int(registered_defaults(m["name"]).get("test_pre_nms", proposals)))}
    return build_registered(m["name"], image_height=m["image_height"], image_width=m["image_width"],
                            backbone_norm=backbone.get("norm", "bn"),
                            frozen_stages=int(backbone.get("frozen_stages", 0)), **extra)


def at_scale(cfg, scale):
    """The detector config with its input size times ``scale`` (eval.test_scales)."""
    from sceneocr.deeptext.detector import scaled_size

    height, width = scaled_size(cfg["model"]["image_height"], cfg["model"]["image_width"], scale)
    return {**cfg, "model": {**cfg["model"], "image_height": height, "image_width": width}}


def validation_config(cfg):
    """``cfg`` at the size of its one ``eval.test_scales`` entry (``cfg`` itself when that is 1.0 or there are
    several)."""
    scales = cfg["eval"].get("test_scales") or [1.0]
    return cfg if len(scales) != 1 or float(scales[0]) == 1.0 else at_scale(cfg, float(scales[0]))


def deeptext_inputs():
    import mindspore as ms

    def to_inputs(batch):
        images, labels, count = batch
        boxes = np.stack([label[0] for label in labels])
        valid = np.stack([label[1] for label in labels])
        ignored = np.stack([label[2] for label in labels])  # do-not-care regions
        return (ms.Tensor(images), ms.Tensor(boxes), ms.Tensor(valid), ms.Tensor(ignored)), count

    to_inputs.num_inputs = 4  # a data sink names this many columns
    return to_inputs


def format_losses(values):
    """The model zoo's loss line fields, total last."""
    return " ".join(f"{name} {v:.4f}" for name, v in zip(LOSS_NAMES, values[1:])) + f" total_loss {values[0]:.4f}"


def make_detector(runner, cfg):
    """A :class:`TextDetector` over ``runner`` (:mod:`sceneocr.runners`, or a MindSpore cell) at ``cfg``'s input size,
    score threshold and box scale."""
    from sceneocr.deeptext.detector import TextDetector

    m = cfg["model"]
    return TextDetector(runner, m["image_height"], m["image_width"], cfg["data"]["keep_ratio"],
                        cfg["eval"]["score_threshold"], cfg["eval"]["box_scale"])


def load_detector(cfg, ckpt=None, mindir=None):
    """A :class:`TextDetector` from a checkpoint (run by MindSpore) or an exported model (.mindir or .onnx)."""
    from sceneocr.deeptext.model import DeepTextDetector
    from sceneocr.engine.checkpoint import load_checkpoint
    from sceneocr.runners import MindSporeRunner

    if mindir:  # an exported model: .mindir or .onnx
        return make_detector(load_exported(mindir), cfg)
    model = build_model(cfg)
    if ckpt:
        load_checkpoint(ckpt, model)  # refuses parameters that do not fit, with counts
    model.set_train(False)
    return make_detector(MindSporeRunner(DeepTextDetector(model), source=ckpt), cfg)


def evaluate_samples(detector, samples, batch_size=1, visualize_dir=None, pooled=None):
    """Run the detector over samples; returns (metrics, per-image predictions). ``pooled``: a
    DetectionMetrics that also gets the counts (one result over several datasets)."""
    metrics = DetectionMetrics()
    predictions = []
    for start in range(0, len(samples), batch_size):
        chunk = [samples[i] for i in range(start, min(start + batch_size, len(samples)))]
        images = [load_rgb(s) for s in chunk]
        for sample, image, result in zip(chunk, images, detector.detect(images, batch_size)):
            matches = metrics.update(result["boxes"], result["scores"], sample.boxes, sample.ignore, sample.quads)
            predictions.append({"image": sample.image_path, "boxes": result["boxes"].round(2).tolist(),
                                "scores": result["scores"].round(4).tolist(), "matched": len(matches)})
            if visualize_dir:
                from sceneocr.visualize import draw_detections

                draw_detections(image, result["boxes"], sample.boxes, sample.ignore,
                                os.path.join(visualize_dir, os.path.basename(sample.image_path) + ".png"))
    if pooled is not None:
        pooled.merge(metrics)
    return metrics.result(), predictions


def train(cfg, run, logger):
    import mindspore.nn as nn

    from sceneocr.deeptext.model import DeepTextWithLoss
    from sceneocr.engine.checkpoint import load_from, starting_weights
    from sceneocr.engine.schedule import build_schedule
    from sceneocr.engine.train_step import count_parameters, train_step_for
    from sceneocr.engine.trainer import build_trainer

    t, data = cfg["train"], cfg["data"]
    # Nothing is written into train.output_dir here: the trainer claims it once the run is validated.
    train_set = build_dataset(cfg, data["train"], data["train_samples"], data["train_seed"], True, logger.info)
    logger.info(f"train data: {train_set.summary()}")
    loader = BatchLoader(train_set, t["batch_size"], shuffle=True, seed=cfg["system"]["seed"], rank=run["rank"],
                         world_size=run["group_size"], workers=data.get("workers", 1))
    total_steps = t["max_steps"] or t["epochs"] * loader.steps_per_epoch()
    learning_rates = build_schedule(t["lr_schedule"], t["lr"], total_steps, t.get("warmup_steps", 0), t.get("min_lr", 0.0))
    model = build_model(cfg)
    start = starting_weights(t, "deeptext", logger.info)
    if start == "pretrained":
        from sceneocr.deeptext.pretrained import load_backbone

        load_backbone(model, t["pretrained"], logger.info)
    elif start == "load_from":
        load_from(t["load_from"], model, log=logger.info)
    logger.info(f"model {cfg['model']['name']}: {count_parameters(model) / 1e6:.2f} M parameters, "
                f"input {cfg['model']['image_height']}x{cfg['model']['image_width']}")
    import mindspore as ms

    optimizer = nn.Momentum(model.trainable_params(), learning_rate=ms.Tensor(learning_rates), momentum=t["momentum"],
                            weight_decay=t["weight_decay"])
    step_cell = train_step_for(cfg, model, DeepTextWithLoss(model), optimizer, logger.info)

    validate = None
    if data.get("val") and run["rank"] == 0:
        val_samples = build_samples(cfg, data["val"], data["val_samples"], data["val_seed"], logger.info)
        detector = None

        # Validation runs at the test size (a single eval.test_scales entry; several: the model's size), so that
        # checkpoints are chosen as they will be used, e.g. after training on smaller multi-scale crops.
        val_cfg = validation_config(cfg)
        val_model = model if val_cfg is cfg else build_model(val_cfg)
        logger.info(f"validation at {val_cfg['model']['image_height']}x{val_cfg['model']['image_width']}")

        def validate():
            nonlocal detector
            import mindspore as ms

            from sceneocr.deeptext.detector import TextDetector
            from sceneocr.deeptext.model import DeepTextDetector

            model.set_train(False)
            if val_model is not model:
                ms.load_param_into_net(val_model, {p.name: p for p in model.get_parameters()}, strict_load=True)
                val_model.set_train(False)
            if detector is None:
                detector = TextDetector(DeepTextDetector(val_model), val_cfg["model"]["image_height"],
                                        val_cfg["model"]["image_width"], data["keep_ratio"],
                                        cfg["eval"]["score_threshold"], cfg["eval"]["box_scale"])
            metrics, _ = evaluate_samples(detector, val_samples, cfg["eval"]["batch_size"])
            model.set_train(True)
            return {f"{k}_{protocol}": v for protocol in ("standard",) for k, v in metrics[protocol].items()}

    trainer = build_trainer(cfg, run, step_cell, loader, deeptext_inputs(), logger, "deeptext",
                            validate=validate, metric="f_standard", format_losses=format_losses,
                            learning_rates=learning_rates)
    return trainer.run(t.get("resume"))


def evaluate(cfg, datasets, ckpt=None, mindir=None, report=None, logger=print, visualize_dir=None, detector=None):
    """``detector``: one already built (sceneocr/backends.py: a backend, several test scales); else ckpt or mindir."""
    detector = detector if detector is not None else load_detector(cfg, ckpt, mindir)
    results, all_predictions, pooled = {}, {}, DetectionMetrics()
    for spec in datasets:
        parsed = "synthetic" if spec == "synthetic" else parse_dataset_arg(spec)
        samples = build_samples(cfg, parsed, cfg["data"]["val_samples"], cfg["data"]["val_seed"], logger)
        logger(f"evaluating {samples.name}")
        metrics, predictions = evaluate_samples(detector, samples, cfg["eval"]["batch_size"], visualize_dir, pooled)
        if getattr(samples, "box_counts", None):
            # Ground truth clipped or dropped on reading (NaN/inf, inverted, off the image) is reported, not scored.
            logger(f"ground truth: {describe_box_counts(samples.box_counts)}")
            metrics["ground_truth"] = dict(samples.box_counts)
        results[spec], all_predictions[spec] = metrics, predictions
        _log_detection(metrics, logger)
        seed = metrics["seed"]
        logger(f"class 1 precision is {seed['precision'] * 100:.2f}%, recall is {seed['recall'] * 100:.2f}%")
    if len(datasets) > 1:
        results[POOLED] = pooled.result()
        logger(f"all {len(datasets)} datasets pooled ({pooled.images} images):")
        _log_detection(results[POOLED], logger)
    if report:
        write_report(report, {"checkpoint": ckpt or mindir, "test_scales": cfg["eval"].get("test_scales", [1.0]),
                              "box_scale": cfg["eval"]["box_scale"], "results": results, "predictions": all_predictions})
    return results


def _log_detection(metrics, logger):
    for protocol in ("standard", "deteval", "seed", "quad"):
        if protocol not in metrics:  # quad: only where ground truth are quadrilaterals
            continue
        r = metrics[protocol]
        logger(f"{protocol:9s} precision {r['precision']:.4f} recall {r['recall']:.4f} f {r['f']:.4f}")


def parse_dataset_arg(spec):
    """``FORMAT:IMAGES:ANNOTATIONS[:SPLIT]`` from the command line (for ic03/svt/ic15 the fourth part is the
    hold-out: ``only`` or ``exclude``; likewise for ic15); or ``synthetic``, ``photo_synth``, ``val`` (the config's data.val)."""
    if spec in ("synthetic", "photo_synth", "val"):
        return spec
    parts = spec.split(":")
    if len(parts) < 3:
        raise ValueError(f"detection dataset '{spec}': use synthetic, photo_synth, val or "
                         "FORMAT:IMAGE_DIR:ANNOTATIONS[:SPLIT or, for ic03/svt/ic15, :only/:exclude held-out scenes]")
    out = {"format": parts[0], "images": parts[1], "annotations": parts[2]}
    if len(parts) > 3:
        out["holdout" if parts[0] in HOLDOUT_FORMATS else "split"] = parts[3]
    return out


def export(cfg, ckpt, file_format, file_name, batch_size=None):
    import mindspore as ms

    from sceneocr.deeptext.model import DeepTextDetector
    from sceneocr.engine.checkpoint import load_checkpoint

    model = build_model(cfg)
    if ckpt:
        load_checkpoint(ckpt, model)
    model.set_train(False)
    model.roi_align.use_native_kernel(False)   # an exported graph cannot carry a local .so
    m = cfg["model"]
    example = ms.Tensor(np.zeros((batch_size or 1, 3, m["image_height"], m["image_width"]), np.float32))
    ms.export(DeepTextDetector(model), example, file_name=file_name, file_format=file_format)
    return f"{file_name}.{file_format.lower()}"
