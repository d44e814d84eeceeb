"""Where a recogniser's errors lie: word accuracy by crop shape (width per letter, height) for each dataset of
an evaluation report, read against the crops themselves.

    sceneocr eval --model crnn --word_prior 0 --dataset data/real_words/heldout/ic15 --report heldout.json
    sceneocr error-table --report heldout.json --examples 5
"""
import argparse
import json


def shape_tables(report):
    """(dataset, tables, errors) for each dataset of an evaluation ``report`` (a dict); errors are
    (crop index, label, prediction, height, width)."""
    from sceneocr.data.words import open_word_source
    from sceneocr.metrics.shape_table import accuracy_by_shape
    from sceneocr.metrics.text import standard_normalize

    for spec, predictions in report["predictions"].items():
        if predictions and "sample" not in predictions[0]:
            raise ValueError(f"{spec}: the report has no crop indices; re-run sceneocr eval --report with this version")
        source = open_word_source(spec)
        samples, errors = [], []
        for p in predictions:
            h, w = source.image(p["sample"]).shape[:2]
            samples.append((p["label"], p["text"], h, w))
            if standard_normalize(p["text"]) != standard_normalize(p["label"]):
                errors.append((p["sample"], p["label"], p["text"], h, w))
        yield spec, accuracy_by_shape(samples), errors


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", required=True, help="a recognition report written by sceneocr eval --report")
    parser.add_argument("--examples", type=int, default=0, help="list this many errors per dataset")
    args = parser.parse_args()
    from sceneocr.cli.common import run_main

    def run():
        try:
            with open(args.report, encoding="utf-8") as handle:
                report = json.load(handle)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{args.report}: not a JSON report ({exc})") from None
        if "predictions" not in report:
            raise ValueError(f"{args.report}: no per-sample predictions (a recognition report from sceneocr eval)")
        for spec, tables, errors in shape_tables(report):
            print(f"\n{spec}")
            for name, rows in tables.items():
                print(f"| {name.replace('_', ' ')} | right | of | accuracy |\n|---|---|---|---|")
                for bin_name, right, total in rows:
                    print(f"| {bin_name} | {right} | {total} | {right / total:.1%} |" if total else
                          f"| {bin_name} | 0 | 0 | - |")
            for sample, label, text, h, w in errors[:args.examples]:
                print(f"  crop {sample} ({w}x{h}): {label!r} read {text!r}")

    run_main(run)


if __name__ == "__main__":
    main()
