"""Throughput on this machine, printed with what it means in GFLOP/s.

    sceneocr benchmark --model crnn            # training and inference images/s at batch 64, data pipeline
    sceneocr benchmark --model deeptext        # s/step and s/image at 576x960 (batch 2) and the CPU demo size
    sceneocr benchmark --model deeptext --breakdown   # time of each detection stage at 576x960
    sceneocr benchmark --model crnn --breakdown       # a training step's data, forward, backward and optimizer
    sceneocr benchmark --model e2e             # images/s at 576x960 and the detection / recognition split

    sceneocr benchmark --model e2e --backend all --json bench.json   # every inference backend (sceneocr/backends.py)
    sceneocr benchmark --model crnn --backend onnxruntime-int8      # one backend, one model

With --backend: the shipped models (weights/; random weights of their configs where there are none) on each
backend: CRNN images/s at batch 64 (32x100), DeepText s/image at its input sizes (the shipped release runs three,
merged; --det_size times one size alone) and,
for e2e, seconds per real photograph (the IC03 scenes in ../shared/fixtures) from file to words.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

from sceneocr.backends import CHOICES as BACKEND_CHOICES
from sceneocr.resources import PACKAGE_DIR, configs_dir, project_dir
from sceneocr.runtime import setup_run

CRNN_BASE_CONFIG = os.path.join(configs_dir(), "crnn", "crnn_cpu.yaml")


def timed(fn, repeats, warmup=2):
    """Median seconds per call: single calls on this shared 2-core machine vary by up to 20 %."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def benchmark_crnn(args):
    import mindspore as ms
    import mindspore.nn as nn

    from sceneocr.config import load_config
    from sceneocr.crnn.loss import CRNNWithLoss
    from sceneocr.crnn.model import CRNNInference, forward_flops
    from sceneocr.crnn.task import build_charset, build_dataset
    from sceneocr.data.loader import BatchLoader
    from sceneocr.engine.train_step import TrainStep
    from sceneocr.models import create_model, model_defaults

    cfg = load_config(CRNN_BASE_CONFIG)
    charset = build_charset(cfg)
    batch, width = args.batch_size, cfg["image"]["width"]
    rng = np.random.default_rng(0)
    images = ms.Tensor(rng.normal(size=(batch, 3, 32, width)).astype(np.float32))
    labels = ["".join(rng.choice(list(charset.alphabet), size=rng.integers(3, 12))) for _ in range(batch)]
    targets, lengths = charset.encode_batch(labels)
    targets, lengths = ms.Tensor(targets), ms.Tensor(lengths)

    network = create_model(args.variant)
    flops = forward_flops(**{k: v for k, v in model_defaults(args.variant).items()
                             if k in ("widths", "in_channels", "hidden_size", "num_layers", "num_classes")},
                          image_width=width)
    optimizer = nn.SGD(network.trainable_params(), learning_rate=0.02, momentum=0.95, nesterov=True)
    step = TrainStep(CRNNWithLoss(network), optimizer, clip_norm=5.0)
    step.set_train()
    start = time.perf_counter()
    step(images, targets, lengths).asnumpy()
    compile_s = time.perf_counter() - start
    train_s = timed(lambda: step(images, targets, lengths).asnumpy(), args.steps)
    network.set_train(False)
    predict = CRNNInference(network, fold_bn=True)   # as eval.py, infer.py and export.py run it
    infer_s = timed(lambda: predict(images).asnumpy(), args.steps)

    dataset = build_dataset(cfg, charset, "synthetic", 100000, 1)
    loader = BatchLoader(dataset, batch, seed=0, workers=1)
    batches = loader.epoch(0)
    next(batches)
    start = time.perf_counter()
    for _ in range(args.steps):
        next(batches)
    data_s = (time.perf_counter() - start) / args.steps
    loader.close()

    train_rate, infer_rate = batch / train_s, batch / infer_s
    print(f"model {args.variant}, batch {batch}, input 32x{width}, forward {flops / 1e9:.2f} GFLOP/image")
    print(f"compile + first training step: {compile_s:.1f} s")
    print(f"training:  {train_rate:6.1f} images/s  ({train_s:.3f} s/step, ~{3 * flops * train_rate / 1e9:.0f} "
          f"GFLOP/s counting backward as 2x forward)")
    print(f"inference: {infer_rate:6.1f} images/s  ({infer_s:.3f} s/batch, {flops * infer_rate / 1e9:.0f} GFLOP/s)")
    print(f"data pipeline (synthetic words, 1 worker process, alongside nothing else): "
          f"{batch / data_s:6.1f} images/s")


def benchmark_deeptext(args):
    import resource

    import mindspore as ms
    import mindspore.nn as nn

    from sceneocr.data.detection_pipeline import DetectionDataset
    from sceneocr.data.synth_scenes import SyntheticScenes
    from sceneocr.deeptext import DeepTextDetector, DeepTextWithLoss
    from sceneocr.engine.train_step import TrainStep
    from sceneocr.models import create_model

    variants = [args.variant] if args.variant else ["deeptext_vgg16", "deeptext_vgg16_small"]
    if args.config:  # the model a training config builds (variant, input size, backbone settings)
        from sceneocr.model_config import default_config
        from sceneocr.config import load_config
        from sceneocr.deeptext.task import build_model

        cfg = load_config(args.config, defaults=default_config("deeptext"))
        variants = [cfg]
    for name in variants:
        model = build_model(name) if args.config else create_model(name)
        name = name["model"]["name"] if args.config else name
        h, w = int(model.image_height), int(model.image_width)
        scenes = SyntheticScenes(args.batch_size, seed=0, height=h, width=w)
        dataset = DetectionDataset(scenes, h, w, max_boxes=64)
        items = [dataset.load(i) for i in range(args.batch_size)]
        images = ms.Tensor(np.stack([i[0] for i in items]))
        boxes = ms.Tensor(np.stack([i[1][0] for i in items]))
        valid = ms.Tensor(np.stack([i[1][1] for i in items]))
        ignored = ms.Tensor(np.stack([i[1][2] for i in items]))  # do-not-care rows: training's fourth input
        step = TrainStep(DeepTextWithLoss(model), nn.Momentum(model.trainable_params(), 0.001, 0.91,
                                                             weight_decay=1e-4), clip_norm=10.0)
        step.set_train()
        start = time.perf_counter()
        step(images, boxes, valid, ignored)[0].asnumpy()
        compile_s = time.perf_counter() - start
        train_s = timed(lambda: step(images, boxes, valid, ignored)[0].asnumpy(), args.steps, warmup=1)
        model.set_train(False)
        detector = DeepTextDetector(model)
        single = images[:1]
        start = time.perf_counter()
        detector(single)[0].asnumpy()
        infer_compile_s = time.perf_counter() - start
        infer_s = timed(lambda: detector(single)[0].asnumpy(), args.steps, warmup=1)
        peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
        print(f"{name} at {h}x{w}: training {train_s:.2f} s/step (batch {args.batch_size}, "
              f"{args.batch_size / train_s:.2f} images/s), compile + first step {compile_s:.0f} s; "
              f"inference {infer_s:.2f} s/image (batch 1), compile {infer_compile_s:.0f} s; "
              f"peak memory so far {peak_gb:.1f} GB")


def crnn_breakdown(args):
    """Where a CRNN training step's time goes, on the recipe's own config (``--config``, default the shipped
    recipe when its data is here, else the CPU default on synthetic words): loading a batch, the forward pass
    with the CTC loss, forward + backward, and the whole step with the optimizer (each timed alone, compiled)."""
    import mindspore as ms
    import mindspore.nn as nn
    import mindspore.ops as ops

    from sceneocr.config import load_config
    from sceneocr.crnn.loss import CRNNWithLoss
    from sceneocr.crnn.task import build_charset, build_dataset, build_network, build_optimizer
    from sceneocr.data.loader import BatchLoader
    from sceneocr.engine.train_step import TrainStep
    from sceneocr.model_config import default_config

    recipe = os.path.join(configs_dir(), "crnn", "crnn_real_cpu.yaml")
    path = args.config or (recipe if os.path.isdir(os.path.join(project_dir(), "data", "real_words")) else
                           CRNN_BASE_CONFIG)
    cfg = load_config(path, defaults=default_config("crnn"))
    charset = build_charset(cfg)
    t, data = cfg["train"], cfg["data"]
    batch = args.batch_size or t["batch_size"]
    dataset = build_dataset(cfg, charset, data["train"], max(batch * (args.steps + 2), 256), data["train_seed"])
    loader = BatchLoader(dataset, batch, shuffle=True, seed=0, workers=data.get("workers", 1))
    batches = loader.epoch(0)
    start = time.perf_counter()
    first = next(batches)
    first_s = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(args.steps):
        next(batches)
    data_s = (time.perf_counter() - start) / args.steps
    loader.close()
    targets, lengths = charset.encode_batch(first[1])
    images, targets, lengths = ms.Tensor(first[0]), ms.Tensor(targets), ms.Tensor(lengths)

    network = build_network(cfg, charset)
    with_loss = CRNNWithLoss(network)
    with_loss.set_train()

    class Gradients(nn.Cell):
        def __init__(self, net, weights):
            super().__init__(auto_prefix=False)
            self.net, self.weights = net, weights
            self.grad = ops.GradOperation(get_by_list=True)

        def construct(self, *inputs):
            grads = self.grad(self.net, self.weights)(*inputs)
            return ops.depend(grads[0].sum(), grads)  # every gradient computed, one scalar copied out

    gradients = Gradients(with_loss, ms.ParameterTuple(network.trainable_params()))
    optimizer = build_optimizer(cfg, network.trainable_params(), [t["lr"]] * (args.steps + 8))  # every timed call
    step = TrainStep(with_loss, optimizer, clip_norm=t.get("clip_norm", 0.0))
    step.set_train()
    forward_s = timed(lambda: with_loss(images, targets, lengths).asnumpy(), args.steps)
    backward_s = timed(lambda: gradients(images, targets, lengths).asnumpy(), args.steps)
    step_s = timed(lambda: step(images, targets, lengths).asnumpy(), args.steps)
    print(f"CRNN training step, {os.path.relpath(path, project_dir())}: batch {batch} at {tuple(images.shape[2:])}, "
          f"{t['optimizer']} optimizer, data from {data['train']}")
    workers = data.get("workers", 1)
    where = f"{workers} worker process{'es' if workers > 1 else ''}" if workers else "in the main process"
    print(f"  data: {data_s:.3f} s a batch ({where}, alongside nothing else; first batch {first_s:.1f} s)")
    print(f"  forward + CTC loss {forward_s:.3f} s; forward + backward {backward_s:.3f} s "
          f"(backward ~{backward_s - forward_s:.3f} s); whole step with the optimizer {step_s:.3f} s "
          f"(optimizer and clipping ~{max(step_s - backward_s, 0):.3f} s)")
    print(f"  a step is data-bound when data > step: {'yes' if data_s > step_s else 'no'} "
          f"(the loader prepares the next batch while a step runs)")
    return {"config": path, "batch_size": batch, "data_s": data_s, "forward_s": forward_s,
            "forward_backward_s": backward_s, "step_s": step_s}


def deeptext_breakdown(args):
    """Where one image's detection time goes: each stage timed alone after compilation."""
    import mindspore as ms
    import mindspore.nn as nn

    from sceneocr.models import create_model

    model = create_model(args.variant or "deeptext_vgg16")
    model.set_train(False)
    h, w = int(model.image_height), int(model.image_width)

    class UpToProposals(nn.Cell):
        def __init__(self, m):
            super().__init__(auto_prefix=False)
            self.model = m

        def construct(self, x):
            conv4, conv5 = self.model.backbone(x)
            logits, deltas = self.model.rpn_head(conv5)
            proposals, _ = self.model.test_proposals(self.model.anchors, logits[0], deltas[0],
                                                     self.model.image_height, self.model.image_width)
            return proposals, conv4, conv5

    image = ms.Tensor(np.random.default_rng(0).normal(size=(1, 3, h, w)).astype(np.float32))
    backbone_s = timed(lambda: model.backbone(image)[0].asnumpy(), args.steps, warmup=1)
    stage1 = UpToProposals(model)
    proposals_s = timed(lambda: stage1(image)[0].asnumpy(), args.steps, warmup=1)
    proposals, conv4, conv5 = stage1(image)
    rois = ms.ops.concat((ms.ops.zeros((proposals.shape[0], 1), ms.float32), proposals), axis=1)
    align_s = timed(lambda: model.roi_align(conv4, conv5, rois).asnumpy(), args.steps, warmup=1)
    pooled = model.roi_align(conv4, conv5, rois)
    head_s = timed(lambda: model.rcnn_head(pooled)[0].asnumpy(), args.steps, warmup=1)
    print(f"{args.variant or 'deeptext_vgg16'} at {h}x{w}, one image: backbone {backbone_s:.2f} s, "
          f"backbone + RPN + proposals {proposals_s:.2f} s, multi-level ROIAlign on {rois.shape[0]} ROIs "
          f"{align_s:.2f} s, RCNN head {head_s:.2f} s")


def benchmark_e2e(args):
    """Image in, words out at 576x960: detection and recognition time per image. With untrained weights
    and no score threshold the detector reports its maximum number of words, the recogniser's worst case."""
    from sceneocr.config import load_config
    from sceneocr.crnn import task as crnn_task
    from sceneocr.data.synth_scenes import SyntheticScenes
    from sceneocr.deeptext.detector import TextDetector
    from sceneocr.deeptext.model import DeepTextDetector
    from sceneocr.e2e import OCRPredictor
    from sceneocr.e2e.predictor import crop_with_margin
    from sceneocr.models import create_model

    model = create_model(args.variant or "deeptext_vgg16")
    model.set_train(False)
    h, w = int(model.image_height), int(model.image_width)
    detector = TextDetector(DeepTextDetector(model), h, w, keep_ratio=False, score_threshold=0.0)
    rec_cfg = load_config(CRNN_BASE_CONFIG)
    recognizer = crnn_task.load_recognizer(rec_cfg)
    predictor = OCRPredictor(detector, recognizer, rec_widths=(rec_cfg["image"]["width"],), rec_batch_size=64)
    image = SyntheticScenes(1, seed=0, height=h, width=w)[0].image
    predictor(image)  # compile both graphs
    timings = {"detect": [], "recognize": [], "words": 0}
    for _ in range(args.steps):
        start = time.perf_counter()
        found = predictor.detect(image)
        timings["detect"].append(time.perf_counter() - start)
        crops = [crop_with_margin(image, box, predictor.margin) for box in found["boxes"]]
        start = time.perf_counter()
        predictor.recognize_crops(crops)
        timings["recognize"].append(time.perf_counter() - start)
        timings["words"] = len(crops)
    det, rec = np.median(timings["detect"]), np.median(timings["recognize"])
    print(f"end to end at {h}x{w}: {1 / (det + rec):.3f} images/s ({det + rec:.2f} s/image): detection {det:.2f} s "
          f"({100 * det / (det + rec):.0f} %), recognition of {timings['words']} words {rec:.2f} s "
          f"({100 * rec / (det + rec):.0f} %)")


ROOT = project_dir()
SHIPPED_CONFIGS = {"crnn": os.path.join(configs_dir(), "crnn", "crnn_real_cpu.yaml"),
                   "deeptext": os.path.join(configs_dir(), "deeptext", "deeptext_photo_cpu.yaml")}
PHOTOS = os.path.join(os.path.dirname(PACKAGE_DIR), "..", "shared", "fixtures", "ic03")   # three ICDAR 2003 test scenes


def model_under_test(task, folder):
    """(config, checkpoint, what it is): the shipped weights, else random weights of the shipped config."""
    import mindspore as ms

    from sceneocr.model_config import default_config, resolve_config
    from sceneocr.config import load_config
    from sceneocr.weights import WeightsUnavailable, shipped_checkpoint

    try:
        ckpt = shipped_checkpoint(task)
        return resolve_config(task, ckpt), ckpt, f"shipped {os.path.relpath(ckpt, ROOT)}"
    except WeightsUnavailable:
        cfg = load_config(SHIPPED_CONFIGS[task], defaults=default_config(task))
        if task == "crnn":
            from sceneocr.crnn.task import build_charset, build_network

            network = build_network(cfg, build_charset(cfg))
        else:
            from sceneocr.deeptext.task import build_model

            network = build_model(cfg)
        ckpt = os.path.join(folder, f"{task}_random.ckpt")
        ms.save_checkpoint(network, ckpt)
        return cfg, ckpt, (f"random weights of {os.path.relpath(SHIPPED_CONFIGS[task], ROOT)} "
                           f"(no shipped {task} weights: speed only)")


def benchmark_backends(args):
    """Each backend on the shipped models: CRNN images/s, DeepText s/image, seconds per real photograph."""
    import glob
    import tempfile

    from sceneocr.backends import BACKENDS, load_detector, load_recognizer
    from sceneocr.e2e import load_image, ocr_predictor

    tasks = {"crnn": ("crnn",), "deeptext": ("deeptext",), "e2e": ("crnn", "deeptext", "e2e")}[args.model]
    photos = sorted(p for p in glob.glob(os.path.join(PHOTOS, "**", "*"), recursive=True)
                    if p.lower().endswith((".jpg", ".jpeg", ".png")))
    if "deeptext" in tasks and not photos:
        raise SystemExit(f"error: {os.path.normpath(PHOTOS)}: no photographs to read (the IC03 fixture scenes)")
    report = {"cpu": cpu_name(), "cores": os.cpu_count(), "steps": args.steps, "models": {}, "backends": {}}
    with tempfile.TemporaryDirectory() as folder:
        models = {task: model_under_test(task, folder) for task in ("crnn", "deeptext") if task in tasks}
        if "deeptext" in models and args.det_size:
            cfg, ckpt, what = models["deeptext"]
            models["deeptext"] = ({**cfg, "model": {**cfg["model"], "image_height": args.det_size[0],
                                                    "image_width": args.det_size[1]},
                                   "eval": {**cfg["eval"], "test_scales": [1.0]}}, ckpt, what)  # that size alone
        for task, (cfg, _, what) in models.items():
            size = ""
            if task == "deeptext":
                scales = cfg["eval"].get("test_scales") or [1.0]
                size = f", input {cfg['model']['image_height']}x{cfg['model']['image_width']}" + (
                    f" at scales {', '.join(f'{s:g}' for s in scales)} (merged)" if list(scales) != [1.0] else "")
            report["models"][task] = what + size
            print(f"{task}: {what}{size}")
        for backend in (BACKENDS if args.backend == "all" else (args.backend,)):
            result = report["backends"].setdefault(backend, {})
            if "crnn" in models:
                cfg, ckpt, _ = models["crnn"]
                start = time.perf_counter()
                recognizer = load_recognizer(cfg, ckpt, backend=backend, batch_size=64)
                load_s = time.perf_counter() - start
                images = np.random.default_rng(0).normal(size=(64, 3, 32, 100)).astype(np.float32)
                seconds = timed(lambda: recognizer.log_probs(images), args.steps)
                result["crnn"] = {"runs_on": recognizer.backend, "images_per_s": round(64 / seconds, 1),
                                  "load_s": round(load_s, 1)}
                print(f"{backend:16s} crnn on {recognizer.backend:16s} {64 / seconds:7.1f} images/s (batch 64, 32x100; "
                      f"loaded in {load_s:.1f} s)")
            if "deeptext" in models:
                cfg, ckpt, _ = models["deeptext"]
                start = time.perf_counter()
                detector = load_detector(cfg, ckpt, backend=backend)
                load_s = time.perf_counter() - start
                scene = load_image(photos[0])
                seconds = timed(lambda: detector.detect([scene]), args.steps, warmup=1)
                result["deeptext"] = {"runs_on": detector.backend, "s_per_image": round(seconds, 3),
                                      "load_s": round(load_s, 1)}
                print(f"{backend:16s} deeptext on {detector.backend:16s} {seconds:7.2f} s/image "
                      f"(loaded in {load_s:.1f} s)")
            if "e2e" in tasks:  # what ocr_predictor() and sceneocr read run (exports come from the cache)
                (rec_cfg, rec_ckpt, _), (det_cfg, det_ckpt, _) = models["crnn"], models["deeptext"]
                predictor = ocr_predictor(det_ckpt=det_ckpt, rec_ckpt=rec_ckpt, det_cfg=det_cfg, rec_cfg=rec_cfg,
                                          backend=backend, pretrained=False)
                per_photo, words, first = [], 0, []
                for photo in photos:
                    start = time.perf_counter()
                    words += len(predictor(photo).words)  # the first call compiles (or loads) each width
                    first.append(time.perf_counter() - start)
                    per_photo.append(timed(lambda: predictor(photo), args.steps, warmup=0))
                result["e2e"] = {"s_per_photo": round(float(np.mean(per_photo)), 3), "photos": len(photos),
                                 "words_per_photo": round(words / len(photos), 1),
                                 "first_call_s": round(float(np.max(first)), 1)}
                print(f"{backend:16s} e2e {np.mean(per_photo):7.2f} s per photograph (mean of {len(photos)} IC03 "
                      f"scenes, {words / len(photos):.1f} words each; first call up to {np.max(first):.1f} s)")
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2)
        print(f"wrote {args.json}")
    return report


def image_size(text):
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}': expected HEIGHTxWIDTH, e.g. 576x960") from None
    if height < 32 or width < 32 or height % 16 or width % 16:
        raise argparse.ArgumentTypeError(f"'{text}': height and width must be multiples of 16, at least 32")
    return height, width


def cpu_name():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            return next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "")
    except OSError:
        return ""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, choices=("crnn", "deeptext", "e2e"))
    parser.add_argument("--variant", help="registered model name (default: crnn_vgg; for deeptext both the "
                                          "reference and the CPU demo variant)")
    parser.add_argument("--batch_size", type=int, default=None, help="default: 64 for crnn, 2 for deeptext")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--device_target", default="CPU")
    parser.add_argument("--breakdown", action="store_true", help="deeptext: time each stage of detection alone; "
                                                                   "crnn: time data, forward, backward, optimizer")
    parser.add_argument("--config", help="deeptext: time the model this training config builds; "
                                         "crnn --breakdown: its training step")
    parser.add_argument("--backend", choices=("all",) + BACKEND_CHOICES,
                        help="time inference of the shipped models on this backend (or all of them)")
    parser.add_argument("--det_size", type=image_size, help="with --backend: the detector's input size, e.g. 576x960")
    parser.add_argument("--json", metavar="FILE", help="with --backend: also write the numbers to FILE")
    args = parser.parse_args(argv)
    if (args.json or args.det_size) and not args.backend:
        parser.error("--json and --det_size go with --backend")
    if args.model == "crnn":
        args.variant = args.variant or "crnn_vgg"
    if args.batch_size is None and args.model == "deeptext" and args.config:
        from sceneocr.model_config import default_config
        from sceneocr.config import load_config

        args.batch_size = load_config(args.config, defaults=default_config("deeptext"))["train"]["batch_size"]
    if args.batch_size is None and not (args.model == "crnn" and args.breakdown):  # the breakdown: the config's
        args.batch_size = 64 if args.model == "crnn" else 2
    setup_run(args.device_target, seed=0)
    if args.backend:
        return benchmark_backends(args)
    if args.model == "deeptext" and args.breakdown:
        return deeptext_breakdown(args)
    if args.model == "crnn" and args.breakdown:
        return crnn_breakdown(args)
    {"crnn": benchmark_crnn, "deeptext": benchmark_deeptext, "e2e": benchmark_e2e}[args.model](args)


if __name__ == "__main__":
    main(sys.argv[1:])
