"""Which training images are held back for model selection.

One rule for both models, so the detector's validation scenes and the recogniser's held-back words
come from the same photographs: a scene or word crop is held out when the SHA-1 of its name, as the
annotation file writes it (relative path, forward slashes), falls in the held-out bucket. The rule
depends on the name alone, not on the order or number of files, so it gives the same split on every
machine and for every subset. With these buckets: 24 of 201 IC03, 13 of 100 SVT and 88 of 1,000 ICDAR 2015
training scenes (``ic15``: the image's file name, e.g. ``img_12.jpg``).
"""
import hashlib

# Buckets per dataset: 1 in N names is held out. Scenes (IC03, SVT) feed both models, word crops
# (IC15 words, IIIT5K) the recogniser only.
HOLDOUT_EVERY = {"ic03": 7, "svt": 7, "ic15": 10, "ic15_words": 10, "iiit5k": 10}


def is_held_out(dataset, image_name):
    """True when ``image_name`` of ``dataset`` (a key of HOLDOUT_EVERY) is held back from training."""
    if dataset not in HOLDOUT_EVERY:
        raise ValueError(f"no hold-out rule for dataset '{dataset}' (known: {', '.join(HOLDOUT_EVERY)})")
    name = str(image_name).replace("\\", "/").lstrip("./")
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()
    return int(digest, 16) % HOLDOUT_EVERY[dataset] == 0
