"""Average the weights of several checkpoints of one model (weight averaging, as in SWA: checkpoints taken
along a constant learning rate, e.g. configs/deeptext/history/deeptext_photo_cpu_swa.yaml) into one checkpoint that
eval.py, infer.py, export.py and scripts/ship_weights.py take like any other.

    sceneocr average-checkpoints --output runs/deeptext_photo_swa/average.ckpt \\
           runs/deeptext_photo_swa/checkpoints/deeptext-step00001[0-9]00.ckpt
"""
import argparse



def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoints", nargs="+", help="checkpoints of one model (training or release files)")
    parser.add_argument("--output", required=True, help="the averaged checkpoint to write (must not exist)")
    args = parser.parse_args()
    from sceneocr.cli.common import run_main

    def run():
        from sceneocr.engine.checkpoint import average_checkpoints

        count = average_checkpoints(args.checkpoints, args.output)
        print(f"wrote {args.output}: {count} weights, the mean of {len(args.checkpoints)} checkpoints")

    run_main(run)


if __name__ == "__main__":
    main()
