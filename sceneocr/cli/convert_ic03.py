"""Convert ICDAR 2003 Robust Reading (words.xml + scene images) to the recognition format.

    sceneocr convert ic03 --root /data/SceneTrialTest --xml /data/SceneTrialTest/words.xml \\
        --output data/ic03_860 --filter ic03_860

Crops every taggedRectangle (float boxes clamped to the image). ``--filter ic03_860`` keeps the
standard recognition subset: words of 3 or more characters that are purely alphanumeric (860 words
of the original test words.xml). Image names must stay inside --root; others are skipped and counted.
"""
import os
import re

from sceneocr.data.convert import (OUTSIDE_ROOT, RecognitionWriter, Summary, check_root, converter_parser, encode_jpeg,
                              inside_root, progress, read_image, run_converter, tagged_crop, write_sample,
                              xml_images)

_ALNUM = re.compile(r"^[A-Za-z0-9]+$")
FILTERS = {
    "none": lambda word: bool(word),
    "alnum": lambda word: bool(_ALNUM.match(word)),
    "ic03_860": lambda word: bool(_ALNUM.match(word)) and len(word) >= 3,
}


def convert(root, xml_path, output, fmt="lmdb", word_filter="ic03_860", overwrite=False):
    keep = FILTERS[word_filter]
    check_root(root)
    images = xml_images(xml_path, "an ICDAR 2003 words.xml")
    summary = Summary(os.path.basename(xml_path))
    with RecognitionWriter(output, fmt, overwrite, protect=(root, xml_path)) as writer:
        for entry in progress(images, desc="ic03"):
            name = (entry.findtext("imageName") or "").strip()
            rects = entry.findall("taggedRectangles/taggedRectangle")
            words = [((r.findtext("tag") or "").strip(), r) for r in rects]
            wanted = [(w, r) for w, r in words if keep(w)]
            for word, _ in words:
                if not word:
                    summary.skip("empty label", name)
                elif not keep(word):
                    summary.skip(f"filtered by {word_filter}", word)
            if not wanted:
                continue
            path = inside_root(root, name) if name else None
            if path is None:
                for _ in wanted:
                    summary.skip(OUTSIDE_ROOT if name else "image missing or unreadable", name)
                continue
            image = read_image(path)
            if image is None:
                for _ in wanted:
                    summary.skip("image missing or unreadable", name)
                continue
            for word, rect in wanted:
                crop = tagged_crop(rect, image, xml_path, name)
                if crop is None:
                    summary.skip("box outside the image", name)
                    continue
                write_sample(writer, summary, encode_jpeg(crop), word, where=name)
    return summary


def main():
    parser = converter_parser(__doc__)
    parser.add_argument("--root", required=True, help="folder the imageName paths are relative to")
    parser.add_argument("--xml", required=True, help="words.xml")
    parser.add_argument("--filter", default="ic03_860", choices=sorted(FILTERS))
    args = parser.parse_args()
    print(convert(args.root, args.xml, args.output, args.format, args.filter, args.overwrite).text())


if __name__ == "__main__":
    run_converter(main)
