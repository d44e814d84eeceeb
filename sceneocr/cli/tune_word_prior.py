"""Choose the CRNN word prior's settings (eval.word_prior) on held-back words: every crop is read once, then
every combination of vocabulary size, weight, floor and edit distance is scored on the same readings.

    sceneocr tune-word-prior --model crnn --dataset data/real_words/heldout/{ic15,iiit5k,ic03,svt}
    sceneocr tune-word-prior --model crnn --ckpt runs/crnn_real/checkpoints/best.ckpt --dataset DIR [DIR ...] \\
        --vocabulary 50000 100000 --weight 0.5 0.7 --floor 1e-8 --max_edits 2

The words are read as eval.py reads them (the checkpoint's config: eval.rec_widths, the backend; a tall crop in the
turn its greedy reading is most confident in, eval.tall_crop_ratio); the table
gives pooled word accuracy (standard protocol) per setting, best first. Ties go to the smaller vocabulary,
then the smaller weight and edit distance. Choose on held-back words, never on a set you report.
"""
import itertools
import sys


from sceneocr.cli.common import parse, run_main
from sceneocr.crnn.decode import best_by_prior, prior_candidates
from sceneocr.crnn.word_prior import english_word_prior, with_word_prior
from sceneocr.metrics.text import standard_normalize
from sceneocr.runtime import setup_run


def add_arguments(parser):
    from sceneocr.backends import CHOICES

    parser.add_argument("--dataset", nargs="+", required=True, help="word datasets, as eval.py takes them")
    parser.add_argument("--ckpt", help="default: the shipped weights")
    parser.add_argument("--backend", default="auto", choices=CHOICES)
    parser.add_argument("--vocabulary", nargs="+", type=int, default=[50000, 100000, 200000])
    parser.add_argument("--weight", nargs="+", type=float, default=[0.3, 0.4, 0.5, 0.6, 0.7, 1.0])
    parser.add_argument("--floor", nargs="+", type=float, default=[1e-9, 1e-8, 1e-7])
    parser.add_argument("--max_edits", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--top", type=int, default=10, help="rows of the table")


def read_words(cfg, args):
    """[(label, greedy reading, log-probs)] over all datasets, read without the prior."""
    from sceneocr.backends import load_recognizer
    from sceneocr.crnn.task import build_dataset, evaluate_dataset

    cfg = with_word_prior(cfg, 0)
    recognizer = load_recognizer(cfg, args.ckpt, None, args.backend, cfg["eval"]["batch_size"])
    recognizer.keep_log_probs = True
    readings = []
    for spec in args.dataset:
        dataset = build_dataset(cfg, recognizer.charset, spec, cfg["data"]["val_samples"], cfg["data"]["val_seed"])
        metrics, predictions = evaluate_dataset(recognizer, dataset, cfg["eval"]["batch_size"], use_lexicon=False,
                                                widths=cfg["eval"].get("rec_widths"),
                                                tall_ratio=cfg["eval"].get("tall_crop_ratio", 0))
        print(f"{spec}: {metrics['samples']} words, greedy word accuracy {metrics['word_accuracy']:.4f}")
        readings += [(p["label"], p["text"], p["log_probs"]) for p in predictions]
    return readings, recognizer.charset


def score_settings(readings, charset, vocabularies, weights, floors, edits):
    """{(vocabulary, weight, floor, max_edits): words read right}. Candidates come once from the largest
    vocabulary and edit distance; a smaller vocabulary is a prefix of it (most frequent words first)."""
    from rapidfuzz.distance import Levenshtein

    largest = english_word_prior(max(vocabularies), charset.alphabet)
    priors = {(n, f): english_word_prior(n, charset.alphabet, f) for n in vocabularies for f in floors}
    correct = dict.fromkeys(itertools.product(vocabularies, weights, floors, edits), 0)
    for label, greedy, log_probs in readings:
        target = standard_normalize(label)
        words, likelihoods = prior_candidates(log_probs, greedy, largest, max(edits), charset)
        distances = [Levenshtein.distance(w, greedy) for w in words]
        for n, weight, floor, k in correct:
            prior = priors[n, floor]
            keep = [i for i, w in enumerate(words) if i == 0 or (distances[i] <= k and w in prior.frequencies)]
            text = greedy
            if len(keep) > 1:
                text = words[keep[best_by_prior([words[i] for i in keep], likelihoods[keep], prior, weight)]]
            correct[n, weight, floor, k] += standard_normalize(text) == target
    return correct


def check_ranges(args):
    """One line for the first setting out of range."""
    rules = [("--vocabulary", args.vocabulary, lambda v: v >= 1, ">= 1"), ("--weight", args.weight, lambda v: v >= 0, ">= 0"),
             ("--floor", args.floor, lambda v: 0 < v < 1, "in (0, 1)"), ("--max_edits", args.max_edits, lambda v: v >= 0, ">= 0")]
    for name, values, ok, what in rules:
        bad = [v for v in values if not ok(v)]
        if bad:
            raise ValueError(f"{name} {bad[0]}: must be {what}")


def main(argv=None):
    args, cfg = parse(["--model", "crnn", *argv], __doc__, add_arguments, models=("crnn",), shipped_default=True)
    check_ranges(args)
    setup_run(cfg["system"]["device_target"], seed=cfg["system"]["seed"])
    readings, charset = read_words(cfg, args)
    greedy = sum(standard_normalize(g) == standard_normalize(label) for label, g, _ in readings)
    correct = score_settings(readings, charset, args.vocabulary, args.weight, args.floor, args.max_edits)
    ranked = sorted(correct.items(), key=lambda item: (-item[1], item[0][0], item[0][1], item[0][3], item[0][2]))
    total = len(readings)
    print(f"greedy (no prior): {greedy}/{total} = {greedy / max(total, 1):.4f}")
    print("vocabulary  weight  floor    max_edits  words right  word accuracy")
    for (n, weight, floor, k), right in ranked[:args.top]:
        print(f"{n:>10}  {weight:>6}  {floor:<7.0e}  {k:>9}  {right:>11}  {right / max(total, 1):.4f}")
    (n, weight, floor, k), _ = ranked[0]
    print(f"best: --eval.word_prior.vocabulary {n} --eval.word_prior.weight {weight} "
          f"--eval.word_prior.floor {floor:g} --eval.word_prior.max_edits {k}")
    return correct


if __name__ == "__main__":
    run_main(lambda: main(sys.argv[1:]))
