"""Convert Street View Text (test.xml / train.xml + images) to the recognition format.

    sceneocr convert svt --root /data/svt1 --xml /data/svt1/test.xml --output data/svt_test

Crops each tagged word from its full image (boxes clamped to the image) and keeps each image's
50-word lexicon with its words. Words whose image is missing, unreadable or outside --root are
skipped and counted.
"""
import os

from sceneocr.data.convert import (OUTSIDE_ROOT, RecognitionWriter, Summary, check_root, converter_parser, encode_jpeg,
                              inside_root, progress, read_image, run_converter, tagged_crop, write_sample,
                              xml_images)


def convert(root, xml_path, output, fmt="lmdb", overwrite=False):
    check_root(root)
    images = xml_images(xml_path, "an SVT test.xml/train.xml")
    summary = Summary(os.path.basename(xml_path))
    with RecognitionWriter(output, fmt, overwrite, protect=(root, xml_path)) as writer:
        for entry in progress(images, desc="svt"):
            name = (entry.findtext("imageName") or "").strip()
            lexicon = [w for w in (entry.findtext("lex") or "").strip().split(",") if w]
            rects = entry.findall("taggedRectangles/taggedRectangle")
            path = inside_root(root, name) if name else None
            if name and path is None:
                for _ in rects:
                    summary.skip(OUTSIDE_ROOT, name)
                continue
            image = read_image(path) if path else None
            if image is None:
                for _ in rects:
                    summary.skip("image missing or unreadable", name)
                continue
            for rect in rects:
                label = (rect.findtext("tag") or "").strip()
                if not label:
                    summary.skip("empty label", name)
                    continue
                crop = tagged_crop(rect, image, xml_path, name)
                if crop is None:
                    summary.skip("box outside the image", name)
                    continue
                write_sample(writer, summary, encode_jpeg(crop), label, lexicon, where=name)
    return summary


def main():
    parser = converter_parser(__doc__)
    parser.add_argument("--root", required=True, help="folder the imageName paths are relative to")
    parser.add_argument("--xml", required=True, help="test.xml or train.xml")
    args = parser.parse_args()
    print(convert(args.root, args.xml, args.output, args.format, args.overwrite).text())


if __name__ == "__main__":
    run_converter(main)
