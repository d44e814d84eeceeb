"""CTC decoding: vectorised greedy decoding and lexicon-constrained decoding (CRNN paper, 2.3.2)."""
import numpy as np

from src.metrics.text import edit_distance


def greedy_decode(log_probs, charset):
    """log_probs (N, T, C) -> list of (text, confidence).

    Collapses repeats and removes blanks with array masks over the whole batch; confidence is the
    product of the per-step maxima over the kept steps (1.0 for an empty result).
    """
    best = log_probs.argmax(axis=-1)                       # N, T
    best_lp = np.take_along_axis(log_probs, best[..., None], -1)[..., 0]
    previous = np.concatenate([np.full((best.shape[0], 1), -1), best[:, :-1]], axis=1)
    keep = (best != charset.blank) & (best != previous)
    chars = charset.table[best]                             # object array of characters
    counts = keep.sum(axis=1)
    flat = chars[keep]
    splits = np.cumsum(counts)[:-1]
    texts = ["".join(part) for part in np.split(flat, splits)]
    confidences = np.exp(np.where(keep, best_lp, 0.0).sum(axis=1))
    return list(zip(texts, confidences.tolist()))


def ctc_log_likelihood(log_probs, label_ids, blank=0):
    """log p(label | log_probs) by the CTC forward algorithm. log_probs (T, C), label_ids 1-D ints."""
    steps = log_probs.shape[0]
    extended = np.full(2 * len(label_ids) + 1, blank, dtype=np.int64)
    extended[1::2] = label_ids
    size = extended.shape[0]
    alpha = np.full(size, -np.inf)
    alpha[0] = log_probs[0, blank]
    if size > 1:
        alpha[1] = log_probs[0, extended[1]]
    # A skip over a blank is allowed only between two different labels.
    can_skip = np.zeros(size, dtype=bool)
    can_skip[2:] = (extended[2:] != blank) & (extended[2:] != extended[:-2])
    for t in range(1, steps):
        stay = alpha
        step = np.concatenate([[-np.inf], alpha[:-1]])
        skip = np.where(can_skip, np.concatenate([[-np.inf, -np.inf], alpha[:-2]]), -np.inf)
        alpha = np.logaddexp(np.logaddexp(stay, step), skip) + log_probs[t, extended]
    if size == 1:
        return float(alpha[0])
    return float(np.logaddexp(alpha[-1], alpha[-2]))


def lexicon_decode(log_probs, lexicon, charset, greedy_text=None, max_distance=3):
    """Pick the lexicon word with the highest CTC probability among those within ``max_distance``
    edits of the greedy result (all words when none is that close), as in the CRNN paper."""
    words = [charset.normalize(w) for w in lexicon if w]
    words = [w for w in words if all(c in charset.index for c in w)]
    if not words:
        return greedy_text or "", 0.0
    if greedy_text is not None:
        close = [w for w in words if edit_distance(w, greedy_text) <= max_distance]
        words = close or words
    scores = [ctc_log_likelihood(log_probs, charset.encode(w), charset.blank) for w in words]
    best = int(np.argmax(scores))
    return words[best], float(np.exp(scores[best]))
