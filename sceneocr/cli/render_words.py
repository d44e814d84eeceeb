"""Write synthetic word crops to the project's recognition format (LMDB or folder).

    sceneocr render-words --output data/synth_words --num 100000 --seed 1 [--format folder] [--fonts DIR]

Sample i of a seed is the same crop that training renders on the fly with that seed.
"""
import argparse


import cv2

from sceneocr.data.convert import RecognitionWriter, progress, run_converter
from sceneocr.data.photos import backgrounds_from_config
from sceneocr.data.render import font_dirs_from_config
from sceneocr.data.synth_words import SyntheticWords


def render(output, num, seed, fmt="lmdb", fonts=None, overwrite=False, backgrounds=None):
    generator = SyntheticWords(num, seed, font_dirs=font_dirs_from_config(fonts),
                               background_dirs=backgrounds_from_config(backgrounds))
    with RecognitionWriter(output, fmt, overwrite=overwrite) as writer:
        for i in progress(range(num), total=num, desc="render"):
            image, label = generator[i]
            ok, buf = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            writer.add(buf.tobytes(), label, ext=".png")
    return writer.count


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", required=True)
    parser.add_argument("--num", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--format", default="lmdb", choices=("lmdb", "folder"))
    parser.add_argument("--fonts", help="extra font folder")
    parser.add_argument("--backgrounds", help="folder of photographs to paint words on")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --output whole")
    args = parser.parse_args()
    count = render(args.output, args.num, args.seed, args.format, args.fonts, args.overwrite, args.backgrounds)
    print(f"wrote {count} words to {args.output}")


if __name__ == "__main__":
    run_converter(main)
