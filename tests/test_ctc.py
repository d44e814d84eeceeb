"""CTC loss and decoding against an independent brute-force reference (sum over all alignments)."""
import itertools

import mindspore as ms
import numpy as np
import pytest

from sceneocr.crnn.decode import ctc_log_likelihood, greedy_decode, lexicon_decode
from sceneocr.crnn.loss import CTCLoss
from sceneocr.data.charset import Charset


def collapse(path, blank=0):
    out, previous = [], None
    for p in path:
        if p != previous and p != blank:
            out.append(p)
        previous = p
    return tuple(out)


def brute_force_nll(log_probs, label):
    """-log p(label): enumerate every alignment of length T."""
    steps, classes = log_probs.shape
    total = 0.0
    for path in itertools.product(range(classes), repeat=steps):
        if collapse(path) == tuple(label):
            total += np.exp(sum(log_probs[t, c] for t, c in enumerate(path)))
    return -np.log(total)


def log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


CASES = [[1], [1, 2], [2, 2], [1, 2, 1], [3, 3, 3]]  # includes repeats that need a blank between


def test_mindspore_ctc_loss_matches_brute_force(rng):
    steps, classes = 6, 4
    logits = rng.normal(size=(steps, len(CASES), classes)).astype(np.float32)
    targets = np.zeros((len(CASES), 5), np.int32)
    lengths = np.array([len(c) for c in CASES], np.int32)
    for i, c in enumerate(CASES):
        targets[i, : len(c)] = c
    loss = CTCLoss(reduction="none")(ms.Tensor(logits), ms.Tensor(targets), ms.Tensor(lengths)).asnumpy()
    lp = log_softmax(logits.astype(np.float64))
    expected = [brute_force_nll(lp[:, i], c) for i, c in enumerate(CASES)]
    np.testing.assert_allclose(loss, expected, rtol=1e-4)


def test_padding_values_are_never_read(rng):
    logits = ms.Tensor(rng.normal(size=(6, 2, 5)).astype(np.float32))
    lengths = ms.Tensor(np.array([2, 3], np.int32))
    a = np.array([[1, 2, 0, 0], [3, 1, 4, 0]], np.int32)
    b = np.array([[1, 2, 4, 4], [3, 1, 4, 2]], np.int32)
    loss = CTCLoss(reduction="none")
    np.testing.assert_allclose(loss(logits, ms.Tensor(a), lengths).asnumpy(),
                               loss(logits, ms.Tensor(b), lengths).asnumpy(), rtol=1e-6)


def test_mean_reduction_divides_by_label_length(rng):
    logits = ms.Tensor(rng.normal(size=(6, 2, 5)).astype(np.float32))
    targets = ms.Tensor(np.array([[1, 2, 0], [3, 1, 4]], np.int32))
    lengths = ms.Tensor(np.array([2, 3], np.int32))
    per_sample = CTCLoss(reduction="none")(logits, targets, lengths).asnumpy()
    mean = float(CTCLoss(reduction="mean")(logits, targets, lengths).asnumpy())
    assert mean == pytest.approx(np.mean(per_sample / np.array([2, 3])), rel=1e-5)


@pytest.mark.parametrize("label", CASES + [[]])
def test_numpy_forward_algorithm_matches_brute_force(rng, label):
    lp = log_softmax(rng.normal(size=(5, 4)))
    assert -ctc_log_likelihood(lp, np.array(label, np.int64)) == pytest.approx(brute_force_nll(lp, label))


def one_hot_log_probs(paths, classes, confidence=0.9):
    n, t = len(paths), len(paths[0])
    probs = np.full((n, t, classes), (1 - confidence) / (classes - 1))
    for i, path in enumerate(paths):
        probs[i, np.arange(t), path] = confidence
    return np.log(probs)


def test_greedy_decode_collapses_repeats_and_blanks():
    charset = Charset("abc")
    paths = [[1, 1, 0, 1, 2, 2], [0, 0, 0, 0, 0, 0], [3, 0, 3, 3, 0, 0], [2, 1, 2, 1, 2, 1]]
    decoded = greedy_decode(one_hot_log_probs(paths, 4), charset)
    assert [text for text, _ in decoded] == ["aab", "", "cc", "bababa"]
    assert decoded[1][1] == pytest.approx(1.0)               # nothing kept: empty product
    assert decoded[0][1] == pytest.approx(0.9 ** 3)           # one factor per emitted character


def test_lexicon_decode_picks_the_most_probable_close_word():
    charset = Charset("abcdefghijklmnopqrstuvwxyz")
    # Greedy reads "cet": "cat" and "cut" are one edit away; the second step prefers "a" over "u".
    steps = np.full((3, 27), 1e-4)
    steps[0, charset.index["c"]] = 1
    steps[1, charset.index["e"]] = 0.5
    steps[1, charset.index["a"]] = 0.3
    steps[1, charset.index["u"]] = 0.2
    steps[2, charset.index["t"]] = 1
    log_probs = np.log(steps / steps.sum(1, keepdims=True))
    word, prob = lexicon_decode(log_probs, ["CUT", "Cat", "dog", "elephant"], charset, "cet", max_distance=1)
    assert word == "cat" and 0 < prob < 1
    # Nothing within the distance: every word is a candidate.
    assert lexicon_decode(log_probs, ["dog", "cut"], charset, "xyzzy", max_distance=1)[0] == "cut"
