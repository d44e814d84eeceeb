"""The shipped weights in ``weights/``: what ``sceneocr read``/``eval``, infer.py, eval.py and ``ocr_predictor()``
use when no checkpoint is given.

``weights/manifest.json`` names one file per model with its SHA-256; each file is a checkpoint that
carries its own config (see sceneocr.engine.checkpoint), so nothing else is needed to decode with it. An
entry's optional ``config`` holds settings chosen after training and measured in the model card (the
detector's test sizes), read over the stored config (sceneocr.model_config); command-line overrides still win.
A missing or altered file is one clear error line, never a model with random weights.
"""
import hashlib
import json
import os

from sceneocr.resources import weights_dir

# OCR_WEIGHTS_DIR points elsewhere (a mirror, or an empty folder to require explicit checkpoints); an installed
# package reads the copy pip put under <prefix>/share/sceneocr/weights (sceneocr/resources.py).
WEIGHTS_DIR = weights_dir()
MANIFEST = "manifest.json"


class WeightsUnavailable(FileNotFoundError):
    pass


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder=WEIGHTS_DIR):
    path = os.path.join(folder, MANIFEST)
    if not os.path.isfile(path):
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            manifest = json.load(handle)
    except (OSError, ValueError) as exc:
        raise WeightsUnavailable(f"{path}: unreadable manifest ({exc})") from None
    if not isinstance(manifest, dict):
        raise WeightsUnavailable(f"{path}: expected a mapping of model -> {{file, sha256}}")
    return manifest


def shipped_checkpoint(task, folder=WEIGHTS_DIR, verify=True):
    """Path of the shipped checkpoint for ``task`` ('crnn' or 'deeptext'), its SHA-256 checked."""
    entry = read_manifest(folder).get(task)
    if not entry:
        raise WeightsUnavailable(f"no shipped {task} weights in {folder} (pass your own checkpoint)")
    path = os.path.join(folder, entry["file"])
    if not os.path.isfile(path):
        raise WeightsUnavailable(f"{path}: shipped {task} weights are missing (restore the file from the "
                                 f"repository, e.g. git checkout -- {os.path.relpath(path)}, or pass your own checkpoint)")
    if verify:
        digest = _sha256(path)
        if digest != entry["sha256"]:
            raise WeightsUnavailable(f"{path}: corrupt shipped {task} weights (SHA-256 {digest[:12]}..., "
                                     f"expected {entry['sha256'][:12]}...); restore the file or pass your own checkpoint")
    return path


def release_settings(ckpt, task):
    """The manifest ``config`` of a shipped ``task`` file (found by the manifest beside the file it points to,
    so a mirror folder or a symlink works too); {} for any other checkpoint, and where the folder's
    manifest.json is not a weights manifest. Not verified: the weights themselves are, when loaded as shipped."""
    folder, name = os.path.split(os.path.realpath(ckpt))
    try:
        entry = read_manifest(folder).get(task)
    except WeightsUnavailable:  # some other manifest.json beside a checkpoint is not ours to judge
        return {}
    if not isinstance(entry, dict) or entry.get("file") != name:
        return {}
    settings = entry.get("config") or {}
    if not isinstance(settings, dict):
        raise WeightsUnavailable(f"{os.path.join(folder, MANIFEST)}: the {task} entry's config must be a mapping "
                                 f"of config keys (e.g. {{\"eval\": {{\"test_scales\": [1.0, 1.5]}}}})")
    return settings


def register_shipped(task, path, card, folder=WEIGHTS_DIR):
    """Record ``path`` (inside ``folder``) as the shipped ``task`` weights in the manifest; returns the entry
    and the release settings of the weights it replaced, which are dropped (measure the new ones)."""
    manifest = read_manifest(folder)
    dropped = (manifest.get(task) or {}).get("config")
    manifest[task] = {"file": os.path.basename(path), "sha256": _sha256(path), "card": card}
    _write_json(os.path.join(folder, MANIFEST), manifest, indent=2)
    return manifest[task], dropped


def _write_json(path, data, indent):
    """``data`` as JSON at ``path``, through a temporary file renamed into place."""
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=indent, sort_keys=True)
        handle.write("\n")
    os.replace(path + ".tmp", path)


def shipped_calibration(ckpt, task, checkpoint_sha256=None):
    """The int8 calibration ranges shipped with a release file (the manifest entry's ``calibration``, checked by its
    SHA-256): ``{"method": ..., "ranges": {input shape: ONNX Runtime ranges}}``; None for any other checkpoint, for
    a file of that name whose SHA-256 (``checkpoint_sha256``, when given) is not the release's, or a release
    without them."""
    folder, name = os.path.split(os.path.realpath(ckpt))
    try:
        entry = read_manifest(folder).get(task)
    except WeightsUnavailable:
        return None
    if not isinstance(entry, dict) or entry.get("file") != name or not isinstance(entry.get("calibration"), dict):
        return None
    if checkpoint_sha256 is not None and checkpoint_sha256 != entry.get("sha256"):
        return None  # the file was changed since the release: its ranges are not this file's
    path = os.path.join(folder, entry["calibration"].get("file", ""))
    if not os.path.isfile(path):
        raise WeightsUnavailable(f"{path}: the {task} release's int8 calibration ranges are missing (restore the "
                                 f"file from the repository)")
    if _sha256(path) != entry["calibration"].get("sha256"):
        raise WeightsUnavailable(f"{path}: altered int8 calibration ranges (SHA-256 differs from {MANIFEST})")
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise WeightsUnavailable(f"{path}: unreadable calibration ranges ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("ranges"), dict):
        raise WeightsUnavailable(f"{path}: expected {{\"method\": ..., \"ranges\": {{input shape: ranges}}}}")
    return data


def register_calibration(task, ranges, method, folder=WEIGHTS_DIR):
    """Write ``ranges`` ({input shape: ONNX Runtime ranges}) as ``<task>.calibration.json`` beside the shipped
    ``task`` weights and name it, with its SHA-256, in their manifest entry."""
    manifest = read_manifest(folder)
    if task not in manifest:
        raise WeightsUnavailable(f"no shipped {task} weights in {folder} to calibrate")
    name = f"{task}.calibration.json"
    path = os.path.join(folder, name)
    _write_json(path, {"method": method, "ranges": ranges}, indent=1)
    manifest[task]["calibration"] = {"file": name, "sha256": _sha256(path)}
    _write_json(os.path.join(folder, MANIFEST), manifest, indent=2)
    return path
