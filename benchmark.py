"""Throughput on this machine, printed with what it means in GFLOP/s.

    python benchmark.py --model crnn            # training and inference images/s at batch 64, data pipeline
    python benchmark.py --model deeptext        # s/step and s/image at 576x960 (batch 2) and the CPU demo size
    python benchmark.py --model deeptext --breakdown   # time of each detection stage at 576x960
    python benchmark.py --model e2e             # images/s at 576x960 and the detection / recognition split
"""
import argparse
import sys
import time

import numpy as np

from src.runtime import setup_run


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

    from src.config import load_config
    from src.crnn.loss import CRNNWithLoss
    from src.crnn.model import CRNNInference, forward_flops
    from src.crnn.task import build_charset, build_dataset
    from src.data.loader import BatchLoader
    from src.engine.train_step import TrainStep
    from src.models import create_model, model_defaults

    cfg = load_config("configs/crnn/crnn_cpu.yaml")
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

    from src.data.detection_pipeline import DetectionDataset
    from src.data.synth_scenes import SyntheticScenes
    from src.deeptext import DeepTextDetector, DeepTextWithLoss
    from src.engine.train_step import TrainStep
    from src.models import create_model

    variants = [args.variant] if args.variant else ["deeptext_vgg16", "deeptext_vgg16_small"]
    if args.config:  # the model a training config builds (variant, input size, backbone settings)
        from src.cli import default_config
        from src.config import load_config
        from src.deeptext.task import build_model

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
        step = TrainStep(DeepTextWithLoss(model), nn.Momentum(model.trainable_params(), 0.001, 0.91,
                                                             weight_decay=1e-4), clip_norm=10.0)
        step.set_train()
        start = time.perf_counter()
        step(images, boxes, valid)[0].asnumpy()
        compile_s = time.perf_counter() - start
        train_s = timed(lambda: step(images, boxes, valid)[0].asnumpy(), args.steps, warmup=1)
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


def deeptext_breakdown(args):
    """Where one image's detection time goes: each stage timed alone after compilation."""
    import mindspore as ms
    import mindspore.nn as nn

    from src.models import create_model

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
    from src.config import load_config
    from src.crnn import task as crnn_task
    from src.data.synth_scenes import SyntheticScenes
    from src.deeptext.detector import TextDetector
    from src.deeptext.model import DeepTextDetector
    from src.e2e import OCRPredictor
    from src.e2e.predictor import crop_with_margin
    from src.models import create_model

    model = create_model(args.variant or "deeptext_vgg16")
    model.set_train(False)
    h, w = int(model.image_height), int(model.image_width)
    detector = TextDetector(DeepTextDetector(model), h, w, keep_ratio=False, score_threshold=0.0)
    rec_cfg = load_config("configs/crnn/crnn_cpu.yaml")
    recognizer = crnn_task.load_recognizer(rec_cfg)
    predictor = OCRPredictor(detector, recognizer, rec_widths=(100, 200), rec_batch_size=64)
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, choices=("crnn", "deeptext", "e2e"))
    parser.add_argument("--variant", help="registered model name (default: crnn_vgg; for deeptext both the "
                                          "reference and the CPU demo variant)")
    parser.add_argument("--batch_size", type=int, default=None, help="default: 64 for crnn, 2 for deeptext")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--device_target", default="CPU")
    parser.add_argument("--breakdown", action="store_true", help="deeptext: time each stage of detection alone")
    parser.add_argument("--config", help="deeptext: time the model this training config builds")
    args = parser.parse_args(argv)
    if args.model == "crnn":
        args.variant = args.variant or "crnn_vgg"
    if args.batch_size is None and args.model == "deeptext" and args.config:
        from src.cli import default_config
        from src.config import load_config

        args.batch_size = load_config(args.config, defaults=default_config("deeptext"))["train"]["batch_size"]
    if args.batch_size is None:
        args.batch_size = 64 if args.model == "crnn" else 2
    setup_run(args.device_target, seed=0)
    if args.model == "deeptext" and args.breakdown:
        return deeptext_breakdown(args)
    {"crnn": benchmark_crnn, "deeptext": benchmark_deeptext, "e2e": benchmark_e2e}[args.model](args)


if __name__ == "__main__":
    main(sys.argv[1:])
