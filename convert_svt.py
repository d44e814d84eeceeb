"""Convert Street View Text (test.xml / train.xml + images) to the recognition format.

    python convert_svt.py --root /data/svt1 --xml /data/svt1/test.xml --output data/svt_test

Crops each tagged word from its full image (boxes clamped to the image) and keeps each image's
50-word lexicon with its words. Words whose image is missing are skipped and counted.
"""
import os

from src.data.convert import (RecognitionWriter, Summary, converter_parser, encode_jpeg, progress, read_image,
                              run_converter, tagged_crop, xml_images)


def convert(root, xml_path, output, fmt="lmdb"):
    images = xml_images(xml_path, "an SVT test.xml/train.xml")
    summary = Summary(os.path.basename(xml_path))
    with RecognitionWriter(output, fmt) as writer:
        for entry in progress(images, desc="svt"):
            name = (entry.findtext("imageName") or "").strip()
            lexicon = [w for w in (entry.findtext("lex") or "").strip().split(",") if w]
            rects = entry.findall("taggedRectangles/taggedRectangle")
            image = read_image(os.path.join(root, name)) if name else None
            if image is None:
                for _ in rects:
                    summary.skip("image missing or unreadable", name)
                continue
            for rect in rects:
                label = (rect.findtext("tag") or "").strip()
                crop = tagged_crop(rect, image, xml_path, name)
                if not label or crop is None:
                    summary.skip("empty label or box outside the image", name)
                    continue
                writer.add(encode_jpeg(crop), label, lexicon)
                summary.written += 1
    return summary


def main():
    parser = converter_parser(__doc__)
    parser.add_argument("--root", required=True, help="folder the imageName paths are relative to")
    parser.add_argument("--xml", required=True, help="test.xml or train.xml")
    args = parser.parse_args()
    print(convert(args.root, args.xml, args.output, args.format).text())


if __name__ == "__main__":
    run_converter(main)
