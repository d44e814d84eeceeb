"""CTC decoding: vectorised greedy decoding, lexicon-constrained decoding (CRNN paper, 2.3.2) and greedy readings
rescored by a word prior (:mod:`sceneocr.crnn.word_prior`)."""
import numpy as np

from sceneocr.metrics.text import edit_distance


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


def ctc_log_likelihoods(log_probs, labels, blank=0):
    """log p(label | log_probs) for many labels at once by the CTC forward algorithm. log_probs (T, C);
    labels: 1-D int sequences (an empty one is the all-blank path). Returns a float array, one per label."""
    steps = log_probs.shape[0]
    count = len(labels)
    sizes = np.array([2 * len(label) + 1 for label in labels], dtype=np.int64)
    extended = np.full((count, int(sizes.max())), blank, dtype=np.int64)
    for row, label in enumerate(labels):
        extended[row, 1:sizes[row]:2] = label
    width = extended.shape[1]
    inside = np.arange(width)[None] < sizes[:, None]
    # A skip over a blank is allowed only between two different labels.
    can_skip = np.zeros((count, width), dtype=bool)
    can_skip[:, 2:] = (extended[:, 2:] != blank) & (extended[:, 2:] != extended[:, :-2])
    alpha = np.full((count, width), -np.inf)
    alpha[:, 0] = log_probs[0, blank]
    if width > 1:
        alpha[:, 1] = np.where(sizes > 1, log_probs[0, extended[:, 1]], -np.inf)
    never = np.full((count, 2), -np.inf)
    for t in range(1, steps):
        step = np.concatenate([never[:, :1], alpha[:, :-1]], axis=1)
        skip = np.where(can_skip, np.concatenate([never, alpha[:, :-2]], axis=1), -np.inf)
        alpha = np.logaddexp(np.logaddexp(alpha, step), skip) + log_probs[t][extended]
        alpha = np.where(inside, alpha, -np.inf)
    rows = np.arange(count)
    # A path ends on the last label or on the blank after it.
    return np.logaddexp(alpha[rows, sizes - 1], np.where(sizes > 1, alpha[rows, np.maximum(sizes - 2, 0)], -np.inf))


def ctc_log_likelihood(log_probs, label_ids, blank=0):
    """log p(label | log_probs) by the CTC forward algorithm. log_probs (T, C), label_ids 1-D ints."""
    return float(ctc_log_likelihoods(log_probs, [label_ids], blank)[0])


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
    scores = ctc_log_likelihoods(log_probs, [charset.encode(w) for w in words], charset.blank)
    best = int(np.argmax(scores))
    return words[best], float(np.exp(scores[best]))


def prior_candidates(log_probs, greedy_text, prior, max_edits, charset):
    """The greedy reading and the vocabulary words up to ``max_edits`` edits from it, with their CTC
    log-likelihoods; nothing for readings the prior leaves alone (empty ones, and numbers: it has none)."""
    if not greedy_text or greedy_text.isdigit():
        return [], np.zeros(0)
    words = [greedy_text] + [w for w in prior.neighbours(greedy_text, max_edits) if w != greedy_text]
    return words, ctc_log_likelihoods(log_probs, [charset.encode(w) for w in words], charset.blank)


def best_by_prior(words, likelihoods, prior, weight):
    """Index of the word maximising log p_ctc(word | image) + ``weight`` * log p_prior(word)."""
    return int(np.argmax(likelihoods + weight * np.array([prior.log_prior(w) for w in words])))


def prior_decode(log_probs, greedy_text, prior, charset, weight, max_edits):
    """The greedy reading or a vocabulary word up to ``max_edits`` edits from it, whichever maximises
    log p_ctc(word | image) + ``weight`` * log p_prior(word) (shallow fusion with a unigram word model).

    Returns (text, confidence), the confidence being the CTC probability of the text (summed over its
    alignments), whichever wins. Numbers stay as read."""
    words, likelihoods = prior_candidates(log_probs, greedy_text, prior, max_edits, charset)
    if not words:  # left alone: its own CTC probability
        words, likelihoods = [greedy_text], ctc_log_likelihoods(log_probs, [charset.encode(greedy_text)], charset.blank)
    best = best_by_prior(words, likelihoods, prior, weight) if len(words) > 1 else 0
    return words[best], float(np.exp(likelihoods[best]))
