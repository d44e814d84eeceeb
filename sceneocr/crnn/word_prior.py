"""An open-vocabulary word prior for CTC decoding: how often a word occurs in English text (wordfreq).

The recogniser's greedy reading competes with the vocabulary words a few edits away from it
(:func:`sceneocr.crnn.decode.prior_decode`); a word outside the vocabulary (a name, a code) gets the ``floor``
frequency, so it survives when the image says so clearly. Numbers are left alone. Candidates come from
RapidFuzz's Levenshtein distance over the whole vocabulary (a few ms for 100,000 words); scoring them (hundreds,
~2,000 for a reading of one or two letters) takes most of the ~10 ms per reading.
"""
import functools
import math


class WordPrior:
    """log p(word) from word ``frequencies`` (word -> relative frequency), ``floor`` for any other word."""

    def __init__(self, frequencies, floor=1e-8):
        if not 0.0 < floor < 1.0:
            raise ValueError(f"word prior floor must be in (0, 1), got {floor}")
        self.frequencies = dict(frequencies)
        self.words = list(self.frequencies)
        self.floor = floor

    def __len__(self):
        return len(self.words)

    def log_prior(self, word):
        return math.log(max(self.frequencies.get(word, 0.0), self.floor))

    def neighbours(self, text, max_edits):
        """Vocabulary words at most ``max_edits`` insertions, deletions or substitutions from ``text``."""
        from rapidfuzz import distance, process

        return [word for word, _, _ in process.extract(text, self.words, scorer=distance.Levenshtein.distance,
                                                       score_cutoff=max_edits, limit=None)]


@functools.lru_cache(maxsize=4)
def english_word_prior(size, alphabet, floor=1e-8):
    """The ``size`` most frequent English words (wordfreq) spelt with letters of ``alphabet`` only: words with
    digits are left out (wordfreq folds every digit to 0, so its 'numbers' are not real ones)."""
    try:
        from wordfreq import get_frequency_dict, top_n_list
    except ImportError:
        raise ValueError("eval.word_prior needs the wordfreq package (pip install -r requirements.txt)") from None
    letters = set(alphabet)
    frequencies = get_frequency_dict("en")
    words = [w for w in top_n_list("en", size) if w.isascii() and w.isalpha() and set(w) <= letters]
    return WordPrior({w: frequencies[w] for w in words}, floor)


def with_word_prior(cfg, vocabulary):
    """``cfg`` with ``eval.word_prior.vocabulary`` set (0: greedy readings); as it is for None. A copy: the
    caller's config is left alone."""
    if vocabulary is None:
        return cfg
    prior = {**cfg["eval"]["word_prior"], "vocabulary": vocabulary}
    return {**cfg, "eval": {**cfg["eval"], "word_prior": prior}}


def word_prior_from_config(cfg, charset):
    """(prior, weight, max_edits) from ``eval.word_prior``, or None when it is off (vocabulary 0)."""
    options = (cfg.get("eval") or {}).get("word_prior") or {}
    size = int(options.get("vocabulary") or 0)
    if size < 0:
        raise ValueError(f"eval.word_prior.vocabulary must be >= 0 (0 = off), got {size}")
    if not size:
        return None
    try:
        import rapidfuzz  # noqa: F401  (the candidate search)
    except ImportError:
        raise ValueError("eval.word_prior needs the rapidfuzz package (pip install -r requirements.txt)") from None
    if any(c.isupper() for c in charset.alphabet):
        raise ValueError("eval.word_prior: the word frequencies are lower case; it needs an alphabet without "
                         "upper-case letters (as the 36-class one)")
    prior = english_word_prior(size, charset.alphabet, float(options.get("floor", 1e-8)))
    return prior, float(options.get("weight", 0.7)), int(options.get("max_edits", 2))
