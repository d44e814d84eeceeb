"""The word prior: greedy CTC readings rescored with word frequencies (sceneocr/crnn/word_prior.py, decode.prior_decode)."""
import importlib
import math

import mindspore as ms
import numpy as np
import pytest

from sceneocr.model_config import resolve_config
from sceneocr.config import ConfigError
from sceneocr.crnn.decode import ctc_log_likelihood, ctc_log_likelihoods, greedy_decode, prior_decode
from sceneocr.crnn.recognizer import Recognizer
from sceneocr.crnn.task import make_recognizer
from sceneocr.crnn.word_prior import WordPrior, english_word_prior, word_prior_from_config
from sceneocr.data.charset import Charset
from tests.test_ctc import brute_force_nll

CHARSET = Charset()  # the shipped 36 classes


def reading(first, word, spread=0.0):
    """Log-probs (T, 37) whose best path spells ``word`` with one blank between letters; the first letter's
    step puts probability ``first`` (letter -> probability) on the letters given, ``spread`` on every class."""
    steps = []
    for k, char in enumerate(word):
        row = np.full(CHARSET.num_classes, 1e-6)
        if k == 0:
            for other, p in first.items():
                row[CHARSET.index[other]] = p
        else:
            row[CHARSET.index[char]] = 0.98
        steps.append(row)
        blank = np.full(CHARSET.num_classes, 1e-6)
        blank[CHARSET.blank] = 0.98
        steps.append(blank)
    probs = np.array(steps) + spread
    return np.log(probs / probs.sum(axis=1, keepdims=True))


def ctc_probability(log_probs, text):
    return math.exp(ctc_log_likelihood(log_probs, CHARSET.encode(text)))


def test_batched_likelihoods_match_the_one_at_a_time_forward_and_brute_force():
    rng = np.random.default_rng(0)
    log_probs = np.log(rng.dirichlet(np.ones(4), size=5))
    labels = [[1], [1, 1], [1, 2, 3], [], [3, 3, 2], [2, 1, 2, 1], [1, 1, 1, 1]]
    batched = ctc_log_likelihoods(log_probs, [np.array(label, np.int64) for label in labels])
    for label, value in zip(labels[:-1], batched):
        assert value == pytest.approx(ctc_log_likelihood(log_probs, np.array(label, np.int64)))
        assert value == pytest.approx(-brute_force_nll(log_probs, label))
    assert np.isneginf(batched[-1])  # 1,1,1,1 needs 7 steps (blanks between repeats): impossible in 5


def test_a_likely_word_replaces_an_unsure_reading_and_a_sure_reading_stays():
    prior = WordPrior({"bank": 1e-4, "cans": 1e-5}, floor=1e-8)
    unsure = reading({"c": 0.6, "b": 0.38}, "cank")
    assert greedy_decode(unsure[None], CHARSET)[0][0] == "cank"
    text, confidence = prior_decode(unsure, "cank", prior, CHARSET, weight=0.7, max_edits=2)
    # log(0.38 / 0.6) + 0.7 * log(1e-4 / 1e-8) > 0: the word wins, with its own CTC probability.
    assert text == "bank"
    assert confidence == pytest.approx(ctc_probability(unsure, "bank"))
    kept = (unsure, "cank", prior, CHARSET)
    assert prior_decode(*kept, weight=0.0, max_edits=2) == ("cank", pytest.approx(ctc_probability(unsure, "cank")))
    assert prior_decode(*kept, weight=0.7, max_edits=0) == ("cank", pytest.approx(ctc_probability(unsure, "cank")))
    # The image is sure of its c (odds 1e-6): a name the vocabulary does not know is kept.
    sure = reading({"c": 0.98, "b": 1e-6}, "cank")
    assert prior_decode(sure, "cank", prior, CHARSET, weight=0.7, max_edits=2)[0] == "cank"


def test_numbers_and_empty_readings_are_left_alone():
    prior = WordPrior({"1600": 0.5, "a": 0.5})
    log_probs = reading({"1": 0.5, "a": 0.45}, "1800")
    assert prior_decode(log_probs, "1800", prior, CHARSET, weight=5.0, max_edits=2) == (
        "1800", pytest.approx(ctc_probability(log_probs, "1800")))
    blank = np.log(np.full((4, CHARSET.num_classes), 0.01) + np.eye(CHARSET.num_classes)[[0] * 4])
    assert prior_decode(blank, "", prior, CHARSET, weight=5.0, max_edits=2)[0] == ""


def test_prior_floor_and_neighbours():
    prior = WordPrior({"bank": 1e-4, "band": 1e-5, "blank": 1e-6, "dog": 0.1}, floor=1e-9)
    assert prior.log_prior("bank") == pytest.approx(math.log(1e-4))
    assert prior.log_prior("zzzz") == pytest.approx(math.log(1e-9))
    assert sorted(prior.neighbours("cank", 1)) == ["bank"]
    assert sorted(prior.neighbours("cank", 2)) == ["band", "bank", "blank"]
    with pytest.raises(ValueError, match="floor"):
        WordPrior({"a": 0.1}, floor=0.0)


def test_english_vocabulary_has_letters_only_most_frequent_first():
    prior = english_word_prior(2000, CHARSET.alphabet)
    assert 1500 < len(prior) <= 2000
    assert prior.words[0] == "the"
    assert all(w.isalpha() and w.isascii() for w in prior.words)  # wordfreq folds digits to 0: none kept
    assert prior.log_prior("the") > prior.log_prior("street") > prior.log_prior("qzxv") == math.log(prior.floor)
    assert "a" not in english_word_prior(2000, "bcdefghijklmnopqrstuvwxyz").words  # letters outside the charset


def test_recogniser_reports_the_fused_and_the_greedy_reading():
    log_probs = reading({"c": 0.6, "b": 0.38}, "cank")[None].astype(np.float32)
    prior = WordPrior({"bank": 1e-4}, floor=1e-8)
    plain = Recognizer(lambda images: ms.Tensor(log_probs), CHARSET).recognize(np.zeros((1, 3, 32, 100)))
    assert plain[0]["text"] == "cank" and "greedy_text" not in plain[0]
    fused = Recognizer(lambda images: ms.Tensor(log_probs), CHARSET, word_prior=prior).recognize(
        np.zeros((1, 3, 32, 100)))
    assert fused[0]["text"] == "bank" and fused[0]["greedy_text"] == "cank"
    assert fused[0]["confidence"] == pytest.approx(ctc_probability(log_probs[0], "bank"), rel=1e-5)
    # Rows after ``count`` pad a fixed-size batch: greedy only, no prior work spent on them.
    padded = Recognizer(lambda images: ms.Tensor(np.concatenate([log_probs, log_probs])), CHARSET,
                        word_prior=prior).recognize(np.zeros((2, 3, 32, 100)), count=1)
    assert padded[0]["text"] == "bank" and padded[1] == plain[0]


def test_config_turns_the_prior_on_and_refuses_what_cannot_work():
    cfg = resolve_config("crnn")
    assert cfg["eval"]["word_prior"]["vocabulary"] == 0
    assert make_recognizer(lambda images: images, cfg).word_prior is None
    cfg = resolve_config("crnn", overrides=["--eval.word_prior.vocabulary", "3000", "--eval.word_prior.weight", "0.5"])
    recognizer = make_recognizer(lambda images: images, cfg)
    assert len(recognizer.word_prior) > 2000 and recognizer.prior_weight == 0.5 and recognizer.prior_max_edits == 2
    with pytest.raises(ConfigError, match="floor"):
        resolve_config("crnn", overrides=["--eval.word_prior.floor", "0"])
    with pytest.raises(ValueError, match="upper-case"):
        word_prior_from_config(cfg, Charset("abcABC", case_fold=False))
    assert word_prior_from_config(cfg, Charset("abcdefghijklmnopqrstuvwxyz", case_fold=False))[1] == 0.5
    with pytest.raises(ValueError, match="vocabulary must be >= 0"):
        word_prior_from_config({"eval": {"word_prior": {"vocabulary": -1}}}, CHARSET)


def test_infer_word_prior_option_overrides_the_config(monkeypatch):
    from sceneocr.cli import read as infer

    seen = {}

    def fake_load_recognizer(cfg, *args, **kwargs):
        seen["prior"] = cfg["eval"]["word_prior"]
        raise RuntimeError("stop here")

    monkeypatch.setattr("sceneocr.backends.load_recognizer", fake_load_recognizer)
    args = infer.parse_args(["--mode", "rec", "--image", "x.png", "--word_prior", "0"])
    with pytest.raises(RuntimeError, match="stop here"):
        infer.build_predictor(args)
    assert seen["prior"]["vocabulary"] == 0  # the shipped weights' release settings say 100000


def load_tuning_script():
    return importlib.import_module("sceneocr.cli.tune_word_prior")


def test_tuning_script_scores_settings_as_the_decoder_reads():
    tune = load_tuning_script()
    unsure = reading({"c": 0.6, "b": 0.38}, "cank")
    readings = [("BANK", "cank", unsure), ("1800", "1800", reading({"1": 0.6, "a": 0.38}, "1800")),
                ("Cank", "cank", reading({"c": 0.98, "b": 1e-6}, "cank"))]
    correct = tune.score_settings(readings, CHARSET, [10000], [0.0, 0.7], [1e-8], [0, 2])
    assert correct == {(10000, 0.0, 1e-8, 0): 2, (10000, 0.0, 1e-8, 2): 2,
                       (10000, 0.7, 1e-8, 0): 2, (10000, 0.7, 1e-8, 2): 3}
    prior = english_word_prior(10000, CHARSET.alphabet, 1e-8)
    assert prior_decode(unsure, "cank", prior, CHARSET, 0.7, 2)[0] == "bank"  # what the table counted


def test_tuning_script_agrees_with_the_decoder_on_every_setting():
    tune = load_tuning_script()
    # (label, what the image shows most, the label's first letter, its probability there): odds from even to 1e-4.
    cases = [("bank", "cank", "b", 0.4), ("queen", "oueen", "q", 0.05), ("have", "bave", "h", 0.005),
             ("no", "mo", "n", 0.02), ("iiyama", "iiyama", "l", 0.3), ("1600", "1800", "6", 0.4),
             ("street", "ttreet", "s", 0.0001), ("cafe", "gafe", "c", 0.001)]
    readings = []
    for label, read, other, p in cases:
        log_probs = reading({read[0]: 0.98 - p, other: p}, read)
        readings.append((label.upper(), greedy_decode(log_probs[None], CHARSET)[0][0], log_probs))
    settings = ([2000, 20000], [0.3, 1.0], [1e-9, 1e-6], [1, 2])
    correct = tune.score_settings(readings, CHARSET, *settings)
    for (size, weight, floor, edits), right in correct.items():
        prior = english_word_prior(size, CHARSET.alphabet, floor)
        decoded = [prior_decode(lp, greedy, prior, CHARSET, weight, edits)[0] for _, greedy, lp in readings]
        assert right == sum(text == label.lower() for text, (label, _, _) in zip(decoded, readings))
    assert len(set(correct.values())) > 2  # the settings differ on these readings


def test_from_pretrained_turns_the_prior_off_on_request(monkeypatch):
    from sceneocr.e2e import OCRPredictor
    from sceneocr.weights import read_manifest

    if not read_manifest().get("crnn") or not read_manifest().get("deeptext"):
        pytest.skip("no shipped weights")
    seen = {}

    def fake_load_recognizer(cfg, *args, **kwargs):
        seen["rec_cfg"] = cfg
        raise RuntimeError("stop here")

    monkeypatch.setattr("sceneocr.backends.load_recognizer", fake_load_recognizer)
    with pytest.raises(RuntimeError, match="stop here"):
        OCRPredictor.from_pretrained(word_prior=0, det=None)
    assert seen["rec_cfg"]["eval"]["word_prior"]["vocabulary"] == 0
    assert seen["rec_cfg"]["eval"]["rec_widths"]  # the other release settings stay
