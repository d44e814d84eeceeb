"""Inference backends: a trained CRNN or DeepText run by MindSpore, or exported once to ONNX and run by
ONNX Runtime, in fp32 or int8.

    recognizer = load_recognizer(cfg, ckpt, backend="onnxruntime", batch_size=64)
    detector = load_detector(cfg, ckpt, backend="auto")

``mindspore`` runs the checkpoint's own graph and is always there. ``onnxruntime`` exports the checkpoint
the way ``export.py --file_format ONNX`` does into a cache folder (``OCR_ONNX_CACHE_DIR``, default ``onnx/``
in ``OCR_CACHE_DIR`` or ``~/.cache/mindspore_ocr``), named by the checkpoint's SHA-256 and a hash of
everything that shapes the graph (model, image and charset config, batch size, MindSpore version), and runs
that file with ONNX Runtime's own CPU kernels. ``onnxruntime-int8`` quantises the exported file once with
``onnxruntime.quantization.quantize_static`` (weights int8 per channel, activations uint8) with the activation
ranges shipped beside the release weights (``weights/<task>.calibration.json``, made by ``sceneocr calibrate``
from real training images), so every machine builds the same int8 model; other checkpoints are calibrated on
the training images in ``../shared/train`` (word crops for CRNN, scenes for DeepText, none of those held back for
validation), and without either run the fp32 file, saying so once. ``auto`` takes the first of ``AUTO[task]``
that can run here.

ONNX graphs have fixed shapes: a CRNN is exported once per input width it is fed (``eval.rec_widths``, which
the shipped CRNN's release settings set to five widths; else the trained width),
and batches are padded up to the exported batch size (see sceneocr.runners.OnnxRunner).
"""
import contextlib
import errno
import functools
import glob
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import time

BACKENDS = ("mindspore", "onnxruntime", "onnxruntime-int8")
CHOICES = ("auto",) + BACKENDS
# What ``auto`` runs, first choice first, of those that can run here: int8 is the fastest and within the
# accuracy limits measured in docs/benchmarks.md ("int8"), fp32 ONNX Runtime gives MindSpore's outputs faster.
AUTO = {"crnn": ("onnxruntime-int8", "onnxruntime", "mindspore"),
        "deeptext": ("onnxruntime-int8", "onnxruntime", "mindspore")}
# Static int8 in QOperator form (QLinearConv / QLinearMatMul): QDQ needs opset 13 for per-channel scales and
# MindSpore exports opset 11.
INT8_FORMAT = "QOperator"
# Relu and MaxPool quantised too, so activations stay uint8 from one convolution to the next.
INT8_OPS = ("Conv", "MatMul", "Gemm", "Relu", "MaxPool")
# Layers that stay fp32 (named in their weights' names): the CRNN's classifier, whose scores are read directly,
# and DeepText's RPN and R-CNN head, whose boxes lose accuracy in int8 for little time. The first convolution,
# which reads the image itself, stays fp32 too.
FP32_LAYERS = {"crnn": ("classifier",), "deeptext": ("rpn_head", "roi_align", "rcnn_head")}
# Activation ranges per task: the CRNN's from the 99.99th percentile of the calibration activations, DeepText's
# from their extremes (the choices compared in docs/benchmarks.md).
CALIBRATION = {"crnn": ("Percentile", 99.99), "deeptext": ("MinMax", None)}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_TRAIN = os.path.join(ROOT, "..", "shared", "train")
# The predictor's word crops on ONNX backends go 8 at a time: nearly batch 64's throughput, and a photograph
# with a few words pads them to 8 rather than to 32.
CROP_BATCH = 8
CALIBRATION_CROPS = 128     # word crops, spread evenly over the IC15 and IIIT5K training crops
CALIBRATION_SCENES = 8      # scene photographs, spread over the IC03 and SVT training scenes
EXPORT_VERSION = 2          # part of every cache name: raise it when export, quantisation or caching changes
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")

_said = set()


class ExportFailed(ValueError):
    pass


class QuantizationFailed(ExportFailed):
    """The fp32 export worked and quantising it did not: ``auto`` runs that fp32 file instead."""


class NoCalibration(QuantizationFailed):
    """Neither shipped ranges for this input size nor calibration images: the fp32 file runs, and says so."""


def _say_once(message):
    if message not in _said:
        _said.add(message)
        print(message, file=sys.stderr)


def onnxruntime_available():
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_backend(backend, task, ckpt):
    """The backend that will run: ``auto`` becomes the first of ``AUTO[task]`` that can run here (ONNX
    backends need onnxruntime and a checkpoint file to export, int8 also calibration images); an explicit
    one that cannot is an error."""
    if backend not in CHOICES:
        raise ValueError(f"unknown backend '{backend}' (choose from {', '.join(CHOICES)})")
    if backend == "auto":
        return next(b for b in AUTO[task] if _runs_here(b, task, ckpt))
    if backend != "mindspore" and not onnxruntime_available():
        raise ValueError(f"backend {backend} needs onnxruntime (pip install onnxruntime), or use --backend mindspore")
    if backend != "mindspore" and not ckpt:
        raise ValueError(f"backend {backend} exports a checkpoint and none was given; use --backend mindspore")
    return backend


def _runs_here(backend, task, ckpt):
    """ONNX backends need onnxruntime and a checkpoint to export; int8 also real images to calibrate on."""
    if backend == "mindspore":
        return True
    if not (ckpt and onnxruntime_available()):
        return False
    return backend != "onnxruntime-int8" or has_shipped_ranges(task, ckpt) or bool(calibration_images(task))


def has_shipped_ranges(task, ckpt):
    from sceneocr.weights import shipped_calibration

    return _ranges_api() and bool(shipped_calibration(ckpt, task, _checkpoint_digest(ckpt)))


@functools.lru_cache(maxsize=None)
def _ranges_api():
    """Whether this onnxruntime quantises from ranges computed elsewhere (``calibration_cache_path``)."""
    import inspect

    from onnxruntime.quantization import quantize_static

    return "calibration_cache_path" in inspect.signature(quantize_static).parameters


def cache_folder():
    """``OCR_ONNX_CACHE_DIR``, else ``onnx/`` in the project's cache (``OCR_CACHE_DIR``, ~/.cache/mindspore_ocr).
    A folder that cannot be made, or a file in its place, is one line naming the setting; a folder that cannot be
    written gives way to a private temporary cache, said once."""
    from sceneocr.vgg16_weights import cache_dir

    if os.environ.get("OCR_ONNX_CACHE_DIR"):
        folder = os.environ["OCR_ONNX_CACHE_DIR"]
        name = f"OCR_ONNX_CACHE_DIR={folder}"
    else:
        folder = os.path.join(cache_dir(), "onnx")
        name = (f"OCR_CACHE_DIR={os.environ['OCR_CACHE_DIR']} (its onnx/ folder)" if os.environ.get("OCR_CACHE_DIR")
                else f"{folder} (the ONNX cache; OCR_ONNX_CACHE_DIR moves it)")
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise ValueError(f"{name}: is a file, not a folder")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EROFS, errno.EPERM):
            raise ValueError(f"{name}: cannot make the folder ({exc.strerror or exc})") from None
    if os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK):
        _remove_stale_work(folder)
        return folder
    global _FALLBACK_CACHE
    if _FALLBACK_CACHE is None:  # private to this process: nobody else can put models in it
        _FALLBACK_CACHE = tempfile.mkdtemp(prefix="sceneocr-onnx-")
    _say_once(f"{name}: not writable; exported models are cached in {_FALLBACK_CACHE} for this run instead")
    return _FALLBACK_CACHE


_FALLBACK_CACHE = None
STALE_WORK_SECONDS = 6 * 3600


def _remove_stale_work(folder):
    """Remove the work folders (``.export-*``, ``.quantize-*``, ``.ranges-*``) that killed processes left in the
    cache, once they are old enough that no live export can still be using them."""
    now = time.time()
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if name.startswith((".export-", ".quantize-", ".ranges-")) and os.path.isdir(path):
            with contextlib.suppress(OSError):
                if now - os.path.getmtime(path) > STALE_WORK_SECONDS:
                    shutil.rmtree(path, ignore_errors=True)


def _sha256(path):
    from sceneocr.vgg16_weights import sha256_of

    return sha256_of(path)


def _cached(path):
    """Whether ``path`` is in the cache whole: the SHA-256 written beside it when it was made matches. A damaged
    or unverifiable file is made again (saying so), and the new one replaces it."""
    if not os.path.isfile(path):
        return False
    try:
        with open(path + ".sha256", encoding="ascii") as handle:
            if handle.read().strip() == _sha256(path):
                return True
    except (OSError, UnicodeDecodeError):
        pass
    # Not removed: another process may be putting a new copy in place; the new file replaces it whole.
    _say_once(f"{path}: cached model damaged or unverifiable; making it again")
    return False


def _put_in_cache(made, path):
    """Move the finished file ``made`` to ``path`` with its SHA-256 beside it (the digest first: a file without
    a matching digest is never trusted)."""
    digest = _sha256(made)
    with open(made + ".sha256", "w", encoding="ascii") as handle:
        handle.write(digest + "\n")
    os.replace(made + ".sha256", path + ".sha256")
    os.replace(made, path)  # whole or not at all: another process may be reading the cache


_digests = {}


def _checkpoint_digest(path):
    from sceneocr.vgg16_weights import sha256_of

    stat = os.stat(path)
    key = (os.path.realpath(path), stat.st_size, stat.st_mtime_ns)
    if key not in _digests:
        _digests[key] = sha256_of(path)
    return _digests[key]


def cache_name(task, cfg, ckpt, batch_size):
    """``<task>-<checkpoint SHA-256>-<settings hash>-b<batch>``: the settings are what shapes the graph."""
    import mindspore

    settings = {"task": task, "batch_size": batch_size, "mindspore": mindspore.__version__,
                "version": EXPORT_VERSION, **{k: cfg.get(k) for k in ("model", "image", "charset")}}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()
    return f"{task}-{_checkpoint_digest(ckpt)[:16]}-{digest[:12]}-b{batch_size}"


def exported_onnx(task, cfg, ckpt, batch_size):
    """The checkpoint as an fp32 ONNX file in the cache, exported on first use."""
    import importlib

    path = os.path.join(cache_folder(), cache_name(task, cfg, ckpt, batch_size) + ".onnx")
    if _cached(path):
        return path
    _say_once(f"exporting {task} to ONNX once (kept in {os.path.dirname(path)})")
    with tempfile.TemporaryDirectory(dir=os.path.dirname(path), prefix=".export-") as tmp:
        try:
            written = importlib.import_module(f"sceneocr.{task}.task").export(cfg, ckpt, "ONNX",
                                                                         os.path.join(tmp, "model"), batch_size)
        except (RuntimeError, TypeError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ExportFailed(f"{ckpt}: MindSpore cannot export {task} to ONNX ({first})") from None
        _put_in_cache(written, path)
    return path


def _spread(paths, count):
    """``count`` paths evenly spaced through the sorted list (all of them when there are fewer)."""
    paths = sorted(paths)
    if len(paths) <= count:
        return paths
    step = len(paths) / count
    return [paths[int(k * step)] for k in range(count)]


# Calibration sources: (dataset key of sceneocr.data.holdout, its root under ../shared/train, image pattern).
CALIBRATION_SOURCES = {
    "crnn": [("ic15_words", "ic15_words_train", "*"), ("iiit5k", "iiit5k_train", "train/*")],
    "deeptext": [("ic03", "ic03_train/SceneTrialTrain", "*/*"), ("svt", "svt_train", "img/*")],
}


def calibration_images(task):
    """Real training images to calibrate int8 ranges on: word crops (CRNN) or scenes (DeepText), spread over
    the training splits in ../shared/train, leaving out what sceneocr.data.holdout keeps back for validation."""
    count = CALIBRATION_CROPS if task == "crnn" else CALIBRATION_SCENES
    return list(_calibration_images(task, SHARED_TRAIN, count))


@functools.lru_cache(maxsize=None)
def _calibration_images(task, shared_train, count):
    # Listed once per process: backend choice and each exported width ask again (thousands of crops, SHA-1 each).
    from sceneocr.data.holdout import is_held_out

    found = []
    for dataset, root, pattern in CALIBRATION_SOURCES[task]:
        folder = os.path.join(shared_train, root)
        found += [p for p in glob.glob(os.path.join(folder, pattern)) if p.lower().endswith(IMAGE_EXTENSIONS)
                  and not is_held_out(dataset, os.path.relpath(p, folder).replace(os.sep, "/"))]
    return tuple(_spread(found, count))


def _read_rgb(path):
    import cv2
    import numpy as np

    image = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_COLOR)
    return None if image is None else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def calibration_batches(task, cfg, paths, batch_size):
    """The calibration images preprocessed as the model sees them, in batches of exactly ``batch_size``."""
    import numpy as np

    images = [image for image in map(_read_rgb, paths) if image is not None]
    if not images:
        raise QuantizationFailed(f"onnxruntime-int8: none of the {len(paths)} calibration images could be read")
    if task == "crnn":
        from sceneocr.data.words import prepare_word

        size = cfg["image"]
        inputs = [prepare_word(image, size["height"], size["width"], size["channels"]) for image in images]
    else:
        from sceneocr.data.detection_pipeline import normalize, resize

        m = cfg["model"]
        inputs = [normalize(resize(image, np.zeros((0, 4), np.float32), m["image_height"], m["image_width"],
                                   cfg["data"]["keep_ratio"])[0]) for image in images]
    batches = max(1, len(inputs) // batch_size)
    return [np.stack([inputs[(b * batch_size + k) % len(inputs)] for k in range(batch_size)])
            for b in range(batches)]


def _calibration_key(task):
    method, percentile = CALIBRATION[task]
    return str(percentile) if method == "Percentile" else method  # the percentile alone, as caches were named


def input_shape_key(task, cfg):
    """``channels x height x width`` of the model's input: what a set of calibration ranges belongs to."""
    if task == "crnn":
        return f"{cfg['image']['channels']}x{cfg['image']['height']}x{cfg['image']['width']}"
    return f"3x{cfg['model']['image_height']}x{cfg['model']['image_width']}"


def _int8_settings(task, calibration):
    return hashlib.sha256(f"{INT8_FORMAT} {sorted(INT8_OPS)} {FP32_LAYERS[task]} first conv fp32, one batch at a time "
                          f"{_calibration_key(task)} {calibration}".encode()).hexdigest()[:12]


def quantized_onnx(task, cfg, ckpt, batch_size):
    """The exported model with static int8 quantisation. Its activation ranges are the ones shipped with the
    release (weights/<task>.calibration.json, so every machine builds the same int8 model), else computed on
    real training images under ../shared/train; with neither, :class:`NoCalibration`."""
    from sceneocr.weights import shipped_calibration

    fp32 = exported_onnx(task, cfg, ckpt, batch_size)
    shipped = shipped_calibration(ckpt, task, _checkpoint_digest(ckpt)) if _ranges_api() else None
    ranges = ((shipped or {}).get("ranges") or {}).get(input_shape_key(task, cfg))
    if ranges is not None:
        calibration = hashlib.sha256(json.dumps(ranges, sort_keys=True).encode()).hexdigest()
        source = f"the ranges shipped with {os.path.basename(ckpt)}"
        paths = None
    else:
        paths = calibration_images(task)
        if not paths:
            raise NoCalibration(f"onnxruntime-int8: no calibration ranges shipped for {task} at "
                                f"{input_shape_key(task, cfg)} and no calibration images under "
                                f"{os.path.normpath(SHARED_TRAIN)}")
        calibration = hashlib.sha256("\n".join(os.path.relpath(p, SHARED_TRAIN) for p in paths).encode()).hexdigest()
        source = f"{len(paths)} training images from {os.path.normpath(SHARED_TRAIN)}"
    path = f"{fp32[:-len('.onnx')]}-int8-{_int8_settings(task, calibration)}.onnx"
    if _cached(path):
        return path
    _say_once(f"onnxruntime-int8: quantising {task} once, calibrated on {source}")
    _quantize(task, cfg, fp32, path, batch_size, ranges=ranges, paths=paths)
    return path


def calibration_ranges(task, cfg, ckpt, batch_size):
    """Activation ranges of the model at ``cfg``'s input size computed on the calibration images (what
    ``sceneocr calibrate`` ships with a release)."""
    paths = calibration_images(task)
    if not paths:
        raise NoCalibration(f"no calibration images under {os.path.normpath(SHARED_TRAIN)}")
    if not _ranges_api():
        raise QuantizationFailed("this onnxruntime cannot save calibration ranges (calibration_cache_path); "
                                 "upgrade it (pip install -r requirements.txt)")
    fp32 = exported_onnx(task, cfg, ckpt, batch_size)
    with tempfile.TemporaryDirectory(dir=os.path.dirname(fp32), prefix=".ranges-") as tmp:
        ranges_path = os.path.join(tmp, "ranges.json")
        _quantize(task, cfg, fp32, os.path.join(tmp, "int8.onnx"), batch_size, paths=paths, save_ranges=ranges_path)
        with open(ranges_path, encoding="utf-8") as handle:
            return json.load(handle)


def _quantize(task, cfg, fp32, path, batch_size, ranges=None, paths=None, save_ranges=None):
    """Quantise ``fp32`` into ``path`` with ``ranges`` (ONNX Runtime's calibration data, as shipped) or ranges
    computed on the images ``paths`` (written to ``save_ranges`` when given)."""
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Batches(CalibrationDataReader):
        """The calibration feeds; with ``CalibStridedMinMax`` the calibrator reads them a stride at a time
        and merges its histograms, rather than keeping every activation of every batch in memory."""

        def __init__(self, name, batches):
            self.feeds = [{name: batch} for batch in batches]
            self.set_range(0, len(self.feeds))

        def __len__(self):
            return len(self.feeds)

        def set_range(self, start_index, end_index):
            self.pending = iter(self.feeds[start_index:end_index])

        def get_next(self):
            return next(self.pending, None)

    import onnx

    input_name = onnx.load(fp32, load_external_data=False).graph.input[0].name
    with tempfile.TemporaryDirectory(dir=os.path.dirname(path), prefix=".quantize-") as tmp:
        prepared, quantized = os.path.join(tmp, "prepared.onnx"), os.path.join(tmp, "int8.onnx")
        options, reader = {}, None
        if ranges is not None:
            options["calibration_cache_path"] = os.path.join(tmp, "ranges.json")
            with open(options["calibration_cache_path"], "w", encoding="utf-8") as handle:
                json.dump(ranges, handle)
        else:
            reader = Batches(input_name, calibration_batches(task, cfg, paths, batch_size))
            if save_ranges:
                options["calibration_cache_path"] = save_ranges
        try:
            # ONNX shape inference and ONNX Runtime's graph optimisation (batch norms folded into the
            # convolutions); the symbolic shape inference gives up on MindSpore's LSTM export, and fixed
            # shapes need none.
            quant_pre_process(fp32, prepared, skip_symbolic_shape=True)
            nodes = onnx.load(prepared).graph.node
            keep = [node.name for node in nodes
                    if len(node.input) > 1 and any(f"{layer}." in node.input[1] for layer in FP32_LAYERS[task])]
            keep += [next(node.name for node in nodes if node.op_type == "Conv")]
        except Exception as exc:  # noqa: BLE001 - onnx and onnxruntime raise many kinds; one line names it
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
            raise QuantizationFailed(f"{fp32}: onnxruntime cannot prepare {task} for int8 ({first})") from None
        if ranges is not None:
            # ONNX Runtime leaves a tensor without a range in fp32, silently: ranges made for another export (another
            # MindSpore or ONNX Runtime version names its tensors differently) must not pass for int8.
            needed = {name for node in nodes if node.op_type in INT8_OPS and node.name not in keep
                      for name in (node.input[0], node.output[0])}
            missing = sorted(needed - set((ranges.get("data") or {})))
            if missing:
                raise NoCalibration(f"onnxruntime-int8: the shipped ranges do not cover {len(missing)} of the {task} "
                                    f"export's {len(needed)} tensors to quantise (made by another MindSpore or ONNX "
                                    f"Runtime version?), e.g. {missing[0]!r}")
        try:
            method, percentile = CALIBRATION[task]
            # One batch at a time: far less memory than every activation of every batch at once.
            extra = {"CalibStridedMinMax": 1, **({"CalibPercentile": percentile} if percentile else {})}
            with contextlib.redirect_stdout(io.StringIO()):  # the calibrator prints its progress
                quantize_static(prepared, quantized, reader,
                                quant_format=getattr(QuantFormat, INT8_FORMAT), per_channel=True,
                                activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                                op_types_to_quantize=list(INT8_OPS), nodes_to_exclude=keep,
                                calibrate_method=getattr(CalibrationMethod, method), extra_options=extra, **options)
        except Exception as exc:  # noqa: BLE001 - onnx and onnxruntime raise many kinds; one line names it
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
            raise QuantizationFailed(f"{fp32}: onnxruntime cannot quantise {task} to int8 ({first})") from None
        _put_in_cache(quantized, path)


def model_file(task, cfg, ckpt, backend, batch_size):
    """The ONNX file ``backend`` runs for this checkpoint, made on first use; None for ``mindspore``."""
    if backend == "mindspore":
        return None
    if backend == "onnxruntime":
        return exported_onnx(task, cfg, ckpt, batch_size)
    if backend == "onnxruntime-int8":
        return quantized_onnx(task, cfg, ckpt, batch_size)
    raise ValueError(f"unknown backend '{backend}' (choose from {', '.join(BACKENDS)})")


def with_width(cfg, width):
    return {**cfg, "image": {**cfg["image"], "width": int(width)}}


def runnable_file(task, cfg, ckpt, backend, batch_size):
    """(the backend that runs, its ONNX file or None for MindSpore) for a requested ``backend``. ``auto``
    runs the fp32 file where quantising fails and MindSpore where the export fails; a backend asked for by
    name is an error then."""
    chosen = resolve_backend(backend, task, ckpt)
    try:
        return chosen, model_file(task, cfg, ckpt, chosen, batch_size)
    except NoCalibration as exc:
        _say_once(f"{exc}: running {task} on onnxruntime (fp32)")
        return "onnxruntime", exported_onnx(task, cfg, ckpt, batch_size)
    except ExportFailed as exc:
        if backend != "auto":
            raise ExportFailed(f"{exc}; use --backend mindspore") from None
        # Quantising starts from the fp32 export, which therefore exists: run that.
        fallback = "onnxruntime" if isinstance(exc, QuantizationFailed) else "mindspore"
        _say_once(f"{exc}: running {task} on {fallback}")
        return fallback, exported_onnx(task, cfg, ckpt, batch_size) if fallback == "onnxruntime" else None


def load_recognizer(cfg, ckpt=None, mindir=None, backend="auto", batch_size=None):
    """A :class:`~sceneocr.crnn.recognizer.Recognizer` on ``backend``; an exported file (``mindir``: .mindir or
    .onnx) runs as it is. On ONNX backends ``batch_size`` is the exported batch (default ``CROP_BATCH``), which
    the recogniser's runner declares; it is None where any batch runs as it comes."""
    from sceneocr.crnn import task as crnn_task
    from sceneocr.runners import OnnxRunner, WidthRunner

    if mindir:
        return crnn_task.load_recognizer(cfg, ckpt, mindir)
    requested, batch_size = backend, batch_size or CROP_BATCH
    # The config's width now (a checkpoint that does not fit fails here), the others on first use.
    backend, path = runnable_file("crnn", cfg, ckpt, backend, batch_size)
    if not path:
        return crnn_task.load_recognizer(cfg, ckpt)

    def at_width(width):
        # Made on the first batch of that width. The config's width exported, so the export is expected to
        # work at others; quantising may still fail: fp32 then on auto, an error (mid-run) on a named int8.
        try:
            return OnnxRunner(model_file("crnn", with_width(cfg, width), ckpt, backend, batch_size), backend)
        except QuantizationFailed as exc:
            if requested != "auto" and not isinstance(exc, NoCalibration):
                raise QuantizationFailed(f"{exc}; use --backend onnxruntime") from None
            _say_once(f"{exc}: reading {width}-px crops in fp32")
            runner.backend = f"{backend}/onnxruntime"  # the runner says it ran part of its inputs in fp32
            return OnnxRunner(exported_onnx("crnn", with_width(cfg, width), ckpt, batch_size))

    runner = WidthRunner(at_width, backend, batch_size, source=ckpt)
    runner.runners[cfg["image"]["width"]] = OnnxRunner(path, backend)
    return crnn_task.make_recognizer(runner, cfg)


def with_test_scales(cfg, scales):
    """The detector config with ``eval.test_scales`` set to ``scales`` (None: as it is)."""
    if not scales:
        return cfg
    from sceneocr.config_schema import RANGES

    problem = RANGES["eval.test_scales"](list(scales))
    if problem:
        raise ValueError(f"detector scales {list(scales)}: {problem}")
    return {**cfg, "eval": {**cfg["eval"], "test_scales": [float(s) for s in scales]}}


def load_detector(cfg, ckpt=None, mindir=None, backend="auto", batch_size=1):
    """A :class:`~sceneocr.deeptext.detector.TextDetector` on ``backend``; an exported file runs as it is. With
    several ``eval.test_scales`` a :class:`~sceneocr.deeptext.detector.MultiScaleDetector`, one model per size."""
    from sceneocr.deeptext import task as deeptext_task
    from sceneocr.deeptext.detector import MultiScaleDetector
    from sceneocr.runners import OnnxRunner

    scales = cfg["eval"].get("test_scales") or [1.0]
    if mindir and list(scales) != [1.0]:
        _say_once(f"{mindir}: an exported detector runs at the size it was exported at; "
                  f"eval.test_scales {scales} not applied")
        scales = [1.0]
    sizes = {}  # scales that round to the same input size run once
    for scale in scales:
        sized = deeptext_task.at_scale(cfg, scale)
        sizes.setdefault((sized["model"]["image_height"], sized["model"]["image_width"]), sized)
    if len(sizes) > 1:  # the merged boxes get eval.box_scale (MultiScaleDetector), not each size's
        sizes = {size: {**sized, "eval": {**sized["eval"], "box_scale": [1.0, 1.0]}} for size, sized in sizes.items()}
    detectors = []
    for sized in sizes.values():
        if mindir:
            detectors.append(deeptext_task.load_detector(sized, ckpt, mindir))
            continue
        chosen, path = runnable_file("deeptext", sized, ckpt, backend, batch_size)
        detectors.append(deeptext_task.make_detector(OnnxRunner(path, chosen), sized) if path
                         else deeptext_task.load_detector(sized, ckpt))
    return detectors[0] if len(detectors) == 1 else MultiScaleDetector(detectors, box_scale=cfg["eval"]["box_scale"])
