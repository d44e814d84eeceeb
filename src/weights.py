"""The shipped weights in ``weights/``: what eval.py, infer.py and OCRPredictor.from_pretrained() use
when no checkpoint is given.

``weights/manifest.json`` names one file per model with its SHA-256; each file is a checkpoint that
carries its own config (see src.engine.checkpoint), so nothing else is needed to decode with it. An
entry's optional ``config`` holds settings chosen after training and measured in the model card (the
detector's test sizes), read over the stored config (src.cli); command-line overrides still win.
A missing or altered file is one clear error line, never a model with random weights.
"""
import hashlib
import json
import os

# OCR_WEIGHTS_DIR points elsewhere (a mirror, or an empty folder to require explicit checkpoints).
WEIGHTS_DIR = os.environ.get("OCR_WEIGHTS_DIR") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "weights")
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
        raise WeightsUnavailable(f"no shipped {task} weights in {folder} (pass a checkpoint with --ckpt)")
    path = os.path.join(folder, entry["file"])
    if not os.path.isfile(path):
        raise WeightsUnavailable(f"{path}: shipped {task} weights are missing (restore the file from the "
                                 f"repository, e.g. git checkout -- {os.path.relpath(path)}, or pass --ckpt)")
    if verify:
        digest = _sha256(path)
        if digest != entry["sha256"]:
            raise WeightsUnavailable(f"{path}: corrupt shipped {task} weights (SHA-256 {digest[:12]}..., "
                                     f"expected {entry['sha256'][:12]}...); restore the file or pass --ckpt")
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
    tmp = os.path.join(folder, MANIFEST + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, os.path.join(folder, MANIFEST))
    return manifest[task], dropped
