"""Image in, words with boxes and text out.

    from sceneocr import ocr_predictor
    predictor = ocr_predictor()                # the shipped weights; backend="auto" (sceneocr/backends.py)
    predictor = ocr_predictor(det_ckpt="runs/deeptext/checkpoints/best.ckpt", rec_ckpt="my_crnn.ckpt")
    page = predictor("photo.jpg")              # path, RGB array or PIL image
    page.words[0].text, page.words[0].box      # 'exit', (x1, y1, x2, y2) in image pixels
    page.to_json(); page.render("photo.jpg", "out.png")

Crops are cut from the original-resolution image with a small margin and recognised in fixed-size batches at
the recogniser's trained width (or grouped into the widths given as ``rec_widths``), so its graph is compiled
once per width.
"""
import json
import os
from dataclasses import asdict, dataclass, field

import numpy as np

from sceneocr.data.images import UnreadableImage, to_rgb  # noqa: F401  (UnreadableImage: part of this API)
from sceneocr.data.words import QUARTER_TURNS, is_tall, more_confident, pick_width, prepare_word, turned
from sceneocr.geometry import crop_with_margin


def load_image(image):
    """RGB uint8 array from a path, an array or a PIL image (:func:`sceneocr.data.images.to_rgb`: the dtypes,
    shapes and modes it takes, and the pixel limit); anything else is :class:`UnreadableImage`, one line."""
    return to_rgb(image)


@dataclass
class Word:
    box: tuple                     # x1, y1, x2, y2 in image pixels
    text: str = ""
    det_score: float = 0.0
    rec_confidence: float = 0.0


@dataclass
class Page:
    width: int
    height: int
    words: list = field(default_factory=list)
    source: str = ""

    def to_dict(self):
        return {"source": self.source, "width": self.width, "height": self.height,
                "words": [asdict(w) for w in self.words]}

    def to_json(self, **kwargs):
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data):
        return cls(data["width"], data["height"], [Word(tuple(w["box"]), w["text"], w["det_score"],
                                                         w["rec_confidence"]) for w in data["words"]],
                   data.get("source", ""))

    def render(self, image, path=None):
        """Boxes and recognised words drawn on ``image`` (array or path); saved when ``path`` is given, which
        may not be the image itself or the page's source."""
        from PIL import Image, ImageDraw

        from sceneocr.data.render import BUILTIN_FONT, load_font

        if path:
            originals = [p for p in (image, self.source) if isinstance(p, (str, os.PathLike)) and p]
            if any(os.path.exists(p) and os.path.exists(path) and os.path.samefile(p, path) for p in originals):
                raise ValueError(f"{path}: is the source image; not drawing over it")
        canvas = Image.fromarray(load_image(image))
        draw = ImageDraw.Draw(canvas)
        size = max(12, int(max(self.width, self.height) / 60))
        font = load_font(BUILTIN_FONT, size)
        width = max(2, size // 6)
        for word in self.words:
            x1, y1, x2, y2 = (int(round(v)) for v in word.box)
            draw.rectangle([x1, y1, x2, y2], outline=(255, 40, 40), width=width)
            if word.text:
                left, top, right, bottom = draw.textbbox((x1, y1), word.text, font=font)
                offset = bottom - top + 4
                draw.rectangle([x1, y1 - offset, x1 + right - left + 6, y1], fill=(255, 40, 40))
                draw.text((x1 + 3, y1 - offset + 1), word.text, fill=(255, 255, 255), font=font)
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            canvas.save(path)
        return np.asarray(canvas)


class RecognitionPredictor:
    """Raw RGB word crops in, ``(text, confidence)`` out: docTR's ``RecognitionPredictor`` for a
    :class:`~sceneocr.crnn.recognizer.Recognizer`. It owns what happens between a crop and the network: the input
    width each crop is read at (the narrowest of ``widths`` that holds its aspect ratio), batching (batches of
    exactly ``batch_size``, one width at a time, so each width's graph is compiled once), decoding (greedy, the
    word prior, a lexicon) and turned words: a crop at least ``tall_crop_ratio`` times as tall as wide is also read
    turned a quarter either way, and the most confident reading is kept (0: never)."""

    def __init__(self, recognizer, height=32, widths=(100,), channels=3, batch_size=32, lexicon=None,
                 tall_crop_ratio=0.0):
        self.recognizer = recognizer
        self.height, self.widths, self.channels = height, tuple(sorted(widths)), channels
        self.batch_size = batch_size
        self.lexicon = self.normalize_lexicon(lexicon)[0] if lexicon else None
        self.tall_crop_ratio = tall_crop_ratio

    def normalize_lexicon(self, words):
        """(the words as the recogniser can read them, the words it cannot): lower-cased where its alphabet
        folds case; words with characters outside the alphabet, or empty, are left out (a lexicon word it cannot
        spell could never be chosen right). No word left is an error."""
        charset = getattr(self.recognizer, "charset", None)
        if charset is None:
            return list(words), []
        kept, dropped = [], []
        for word in words:
            label, problem = charset.check(str(word))
            (dropped if problem in ("empty", "charset") else kept).append(label if not problem else word)
        if words and not kept:
            raise ValueError(f"lexicon: none of its {len(words)} words can be spelled with the recogniser's "
                             f"alphabet ({charset.alphabet}), e.g. {dropped[0]!r}")
        return list(dict.fromkeys(kept)), dropped

    @classmethod
    def from_config(cls, rec_cfg, recognizer, **overrides):
        """Reading settings from the recogniser's config: its input height and channels, ``eval.rec_widths`` (else
        the width it was trained at; an exported recogniser has only that one), ``eval.tall_crop_ratio`` and the
        batch an ONNX graph takes."""
        image, evaluation = rec_cfg["image"], rec_cfg.get("eval") or {}
        widths = evaluation.get("rec_widths") or (image["width"],)
        if recognizer.exported:
            widths = (image["width"],)
        options = {"height": image["height"], "widths": tuple(widths), "channels": image["channels"],
                   "tall_crop_ratio": evaluation.get("tall_crop_ratio", 0.0)}
        if recognizer.batch_size:  # an ONNX recogniser takes batches of the size it was exported with
            options["batch_size"] = recognizer.batch_size
        return cls(recognizer, **{**options, **overrides})

    @property
    def backend(self):
        return self.recognizer.backend

    @property
    def decoding(self):
        return self.recognizer.decoding

    def width_for(self, crop):
        return pick_width(crop.shape[1] / max(crop.shape[0], 1), self.widths, self.height)

    def prepare(self, crop, width):
        """A crop as the network reads it at ``width``."""
        return prepare_word(crop, self.height, width, self.channels)

    def __call__(self, crops, lexicon=None):
        """[(text, confidence)] for RGB word crops (arrays); ``lexicon`` (a list of words) over the predictor's."""
        lexicon = self.normalize_lexicon(lexicon)[0] if lexicon is not None else self.lexicon
        reads = [(i, 0) for i in range(len(crops))]
        reads += [(i, turn) for i, crop in enumerate(crops) if is_tall(crop.shape, self.tall_crop_ratio)
                  for turn in QUARTER_TURNS]
        best = {}
        for (i, turn), item in zip(reads, self.read([turned(crops[i], turn) for i, turn in reads], lexicon)):
            item = {**item, "turn": turn} if turn else item
            if i not in best or more_confident(item, best[i]):
                best[i] = item
        return [(best[i].get("lexicon_text", best[i]["text"]),
                 float(best[i].get("lexicon_confidence", best[i]["confidence"]))) for i in range(len(crops))]

    def read(self, crops, lexicon):
        """The recogniser's result for each crop as it is (a dict: text, confidence, lexicon_text, ...)."""
        results = [None] * len(crops)
        groups = {}
        for index, crop in enumerate(crops):
            groups.setdefault(self.width_for(crop), []).append(index)
        for width, indices in groups.items():
            for start in range(0, len(indices), self.batch_size):
                chunk = indices[start:start + self.batch_size]
                batch = np.stack([self.prepare(crops[i], width) for i in chunk])
                pad = self.batch_size - len(chunk)
                if pad:
                    batch = np.concatenate([batch, np.zeros((pad,) + batch.shape[1:], np.float32)])
                lexicons = [lexicon] * self.batch_size if lexicon else None
                for i, item in zip(chunk, self.recognizer.recognize(batch, lexicons, count=len(chunk))):
                    results[i] = item
        return results


class DetectionPredictor:
    """Images in (paths, RGB arrays, PIL images), word boxes out: a
    :class:`~sceneocr.deeptext.detector.TextDetector` (or several sizes merged) behind docTR's
    ``DetectionPredictor`` shape. Each result holds ``boxes`` (x1, y1, x2, y2 in the image's pixels), ``scores``
    and ``classes``."""

    def __init__(self, detector, batch_size=1):
        self.detector, self.batch_size = detector, batch_size

    @property
    def backend(self):
        return self.detector.backend

    def __call__(self, images):
        rgbs = [load_image(image) for image in images]
        found = {}
        readable = [k for k, rgb in enumerate(rgbs) if min(rgb.shape[:2]) >= 2]  # nothing to find on the others
        for k, result in zip(readable, self.detector.detect([rgbs[k] for k in readable], self.batch_size)):
            found[k] = result
        empty = {"boxes": np.zeros((0, 4), np.float32), "scores": np.zeros(0, np.float32),
                 "classes": np.zeros(0, np.int32)}
        return [found.get(k, empty) for k in range(len(rgbs))]


class OCRPredictor:
    """A :class:`DetectionPredictor` and a :class:`RecognitionPredictor` composed: image in, :class:`Page` out.

    ``detector`` and ``recognizer`` may be the predictors, or the raw detector and recogniser; for a raw recogniser
    the ``rec_*`` arguments are its :class:`RecognitionPredictor`'s settings. Either may be None where that stage
    is not used (a recogniser alone reads crops with :meth:`recognize_crops`)."""

    def __init__(self, detector, recognizer, rec_height=32, rec_widths=(100,), rec_channels=3, rec_batch_size=32,
                 margin=0.08, lexicon=None, rec_tall_crop_ratio=0.0):
        if detector is not None and not isinstance(detector, DetectionPredictor):
            detector = DetectionPredictor(detector)
        if recognizer is not None and not isinstance(recognizer, RecognitionPredictor):
            recognizer = RecognitionPredictor(recognizer, rec_height, rec_widths, rec_channels, rec_batch_size,
                                              tall_crop_ratio=rec_tall_crop_ratio)
        self.det_predictor, self.rec_predictor = detector, recognizer
        self.margin = margin
        self.lexicon = list(lexicon) if lexicon else None

    @classmethod
    def from_pretrained(cls, backend="auto", word_prior=None, **kwargs):
        """The shipped detector and recogniser (weights/), with their release settings: :func:`ocr_predictor`."""
        return ocr_predictor(backend=backend, word_prior=word_prior, **kwargs)

    @classmethod
    def from_checkpoints(cls, det_ckpt=None, rec_ckpt=None, det_mindir=None, rec_mindir=None, det_cfg=None,
                         rec_cfg=None, backend="auto", det_scales=None, **kwargs):
        """Given checkpoints or exported files: :func:`ocr_predictor` without falling back to the shipped weights."""
        return ocr_predictor(det_ckpt=det_ckpt, rec_ckpt=rec_ckpt, det_exported=det_mindir, rec_exported=rec_mindir,
                             det_cfg=det_cfg, rec_cfg=rec_cfg, backend=backend, det_scales=det_scales,
                             pretrained=False, **kwargs)

    @property
    def detector(self):
        return self.det_predictor.detector if self.det_predictor else None

    @property
    def recognizer(self):
        return self.rec_predictor.recognizer if self.rec_predictor else None

    @property
    def rec_widths(self):
        return self.rec_predictor.widths

    @property
    def rec_batch_size(self):
        return self.rec_predictor.batch_size

    def recognize_crops(self, crops, lexicon=None):
        """[(text, confidence)] for RGB word crops."""
        if self.rec_predictor is None:
            raise ValueError("this predictor has no recogniser (built with rec=None)")
        return self.rec_predictor(crops, lexicon if lexicon is not None else self.lexicon)

    def detect(self, image):
        if self.det_predictor is None:
            raise ValueError("this predictor has no detector (built with det=None)")
        return self.det_predictor([image])[0]

    def __call__(self, image, lexicon=None, source=""):
        rgb = load_image(image)
        if not source and isinstance(image, (str, os.PathLike)):
            source = os.fspath(image)
        if self.det_predictor is None:
            raise ValueError("this predictor has no detector (built with det=None): read word crops with "
                             "recognize_crops()")
        if min(rgb.shape[:2]) < 2:  # nothing to find on an empty or one-pixel image
            return Page(rgb.shape[1], rgb.shape[0], [], source)
        found = self.det_predictor([rgb])[0]
        order = np.lexsort((found["boxes"][:, 0], np.round(found["boxes"][:, 1] / 8))) if len(found["boxes"]) else []
        boxes = [found["boxes"][i] for i in order]
        scores = [float(found["scores"][i]) for i in order]
        crops = [crop_with_margin(rgb, box, self.margin) for box in boxes]
        if self.rec_predictor is None:  # a detector alone (rec=None): the boxes, without text
            readings = [("", 0.0)] * len(crops)
        else:
            readings = self.recognize_crops(crops, lexicon) if crops else []
        words = [Word(tuple(round(float(v), 1) for v in box), text, round(score, 4), round(conf, 4))
                 for box, score, (text, conf) in zip(boxes, scores, readings)]
        return Page(rgb.shape[1], rgb.shape[0], words, source)


def read_lexicon(path):
    """The words of a lexicon file (whitespace or comma separated), or None for no ``path``."""
    if not path:
        return None
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: lexicon file not found")
    try:
        with open(path, encoding="utf-8") as handle:
            words = [w.strip() for line in handle for w in line.replace(",", " ").split() if w.strip()]
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: lexicon is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    if not words:
        raise ValueError(f"{path}: lexicon is empty")
    return words


def ocr_predictor(det="deeptext", rec="crnn", *, pretrained=True, det_ckpt=None, rec_ckpt=None, det_exported=None,
                  rec_exported=None, det_config=None, rec_config=None, det_cfg=None, rec_cfg=None, backend="auto",
                  det_scales=None, rec_widths=None, tall_crop_ratio=None, word_prior=None, lexicon=None, log=None,
                  **options):
    """An :class:`OCRPredictor`, the one way every entry point (``sceneocr read``, eval, benchmark) builds one.

    ``det`` / ``rec``: the detector and recogniser families (``None`` leaves that stage out: a detector alone
    finds boxes, a recogniser alone reads word crops with :meth:`OCRPredictor.recognize_crops`). Each stage runs
    ``*_ckpt`` (a checkpoint) or ``*_exported`` (a .mindir or .onnx file); with neither, the shipped weights when
    ``pretrained``. Configs come from ``*_cfg`` (a loaded config) or ``*_config`` (a YAML file), else from the
    checkpoint itself with the release settings of shipped weights (:func:`sceneocr.model_config.resolve_config`).
    ``backend``: auto, mindspore, onnxruntime or onnxruntime-int8 (sceneocr/backends.py). ``det_scales``: detector
    input sizes (times its own) whose boxes are merged; ``rec_widths``: recogniser input widths; ``tall_crop_ratio``:
    a crop this many times as tall as wide is also read turned a quarter either way (0: never); ``word_prior``:
    the word prior's vocabulary (0: greedy readings); ``lexicon``: allowed words (a list, or a file's path).
    ``log``: where the line naming what runs on which backend goes (None: nowhere)."""
    from sceneocr.backends import load_detector, load_recognizer, with_test_scales
    from sceneocr.config_schema import RANGES
    from sceneocr.crnn.word_prior import with_word_prior
    from sceneocr.model_config import resolve_config
    from sceneocr.weights import shipped_checkpoint

    for name, family, expected in (("det", det, "deeptext"), ("rec", rec, "crnn")):
        if family not in (None, expected):
            raise ValueError(f"{name}={family!r}: this zoo's {'detector' if name == 'det' else 'recogniser'} "
                             f"is {expected!r} (or None to leave it out)")
    if rec_widths:  # checked before anything is built: a bad width would fail deep inside a graph compile
        problem = RANGES["eval.rec_widths"](list(rec_widths))
        if problem:
            raise ValueError(f"recogniser widths {list(rec_widths)}: {problem}")
    if tall_crop_ratio is not None and RANGES["eval.tall_crop_ratio"](tall_crop_ratio):
        raise ValueError(f"tall_crop_ratio {tall_crop_ratio}: {RANGES['eval.tall_crop_ratio'](tall_crop_ratio)}")
    detector = recognizer = None
    if det:
        if pretrained and not (det_ckpt or det_exported):
            det_ckpt = shipped_checkpoint("deeptext")
        det_cfg = det_cfg or resolve_config("deeptext", det_ckpt, det_config)
        det_cfg = with_test_scales(det_cfg, det_scales)
        detector = load_detector(det_cfg, det_ckpt, det_exported, backend)
    if rec:
        if pretrained and not (rec_ckpt or rec_exported):
            rec_ckpt = shipped_checkpoint("crnn")
        rec_cfg = rec_cfg or resolve_config("crnn", rec_ckpt, rec_config)
        if rec_widths:
            rec_cfg = {**rec_cfg, "eval": {**rec_cfg["eval"], "rec_widths": sorted(int(w) for w in rec_widths)}}
        if tall_crop_ratio is not None:
            rec_cfg = {**rec_cfg, "eval": {**rec_cfg["eval"], "tall_crop_ratio": float(tall_crop_ratio)}}
        rec_cfg = with_word_prior(rec_cfg, word_prior)
        recognizer = load_recognizer(rec_cfg, rec_ckpt, rec_exported, backend, options.get("rec_batch_size"))
    if isinstance(lexicon, (str, os.PathLike)):
        lexicon = read_lexicon(lexicon)
    rec_options = {key[len("rec_"):]: options.pop(key) for key in list(options) if key.startswith("rec_")}
    det_predictor = DetectionPredictor(detector) if detector is not None else None
    rec_predictor = RecognitionPredictor.from_config(rec_cfg, recognizer, **rec_options) if recognizer else None
    if lexicon and rec_predictor is not None:
        given = len(lexicon)
        lexicon, dropped = rec_predictor.normalize_lexicon(lexicon)
        if dropped and log:
            log(f"lexicon: {len(dropped)} of {given} words left out, their characters are not in the recogniser's "
                f"alphabet, e.g. {dropped[0]!r}")
    if log:
        log("running " + ", ".join(f"{name} on {model.backend}" for name, model in
                                   (("deeptext", detector), ("crnn", recognizer)) if model)
            + (f" ({recognizer.decoding})" if recognizer else ""))
    return OCRPredictor(det_predictor, rec_predictor, lexicon=lexicon, **options)
