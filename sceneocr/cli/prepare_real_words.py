"""Real training words for CRNN: the train splits under ``../shared/train`` read with the project's
own converters and split into training and held-back parts by :mod:`sceneocr.data.holdout`.

    sceneocr prepare-real-words --shared ../shared/train --output data/real_words

writes ``OUTPUT/{train,heldout}/{ic15,iiit5k,ic03,svt}/`` (folders with labels.tsv) and prints each
converter's summary; with ``--ic15_scenes ROOT`` also ``OUTPUT/train/ic15_scenes/``, the ICDAR 2015 training
scenes' words cut as the reader cuts detected words (:mod:`sceneocr.cli.convert_ic15_scenes`); with
``--rectified_ic15`` also ``OUTPUT/{train,heldout}/ic15_rectified/``, the same IC15 crops with their annotated
quadrilaterals warped upright (the recogniser's accuracy if it knew each word's exact outline). IC03 and SVT
words are held back by scene (the same scenes the detector is validated on), IC15 and IIIT5K crops by crop name.
Labels are kept as annotated (spaces, punctuation): the charset rules decide at training time what is used, and
the training log counts what is dropped.
"""
import argparse
import os
import shutil
import tempfile


from sceneocr.data.convert import run_converter
from sceneocr.data.holdout import is_held_out

SPLITS = ("train", "heldout")


def _split_lines(gt_path, workdir):
    """IC13 Task 3 layout (``word_1.png, "label"``): one filtered gt file per split."""
    with open(gt_path, encoding="utf-8-sig", newline="") as handle:
        lines = [line for line in handle.read().splitlines() if line.strip()]
    paths = {}
    for split in SPLITS:
        keep = [line for line in lines
                if is_held_out("ic15_words", line.split(", ", 1)[0].strip()) == (split == "heldout")]
        paths[split] = os.path.join(workdir, f"ic15_{split}.txt")
        with open(paths[split], "w", encoding="utf-8", newline="") as handle:
            handle.write("\r\n".join(keep) + "\r\n")
    return paths


def _split_xml(xml_path, dataset, workdir):
    """SVT / ICDAR 2003 XML: one file per split holding that split's <image> entries."""
    import defusedxml.ElementTree as SafeET
    from xml.etree import ElementTree

    paths = {}
    for split in SPLITS:
        root = SafeET.parse(xml_path).getroot()
        for entry in list(root.findall("image")):
            name = (entry.findtext("imageName") or "").strip()
            if is_held_out(dataset, name) != (split == "heldout"):
                root.remove(entry)
        paths[split] = os.path.join(workdir, f"{dataset}_{split}.xml")
        ElementTree.ElementTree(root).write(paths[split], encoding="utf-8", xml_declaration=True)
    return paths


def _split_mat(mat_path, workdir):
    """IIIT5K trainCharBound.mat / traindata.mat: one re-saved .mat per split."""
    import scipy.io

    mat = scipy.io.loadmat(mat_path)
    key = next(k for k in mat if not k.startswith("__"))
    entries = mat[key]
    names = [str(e["ImgName"].flat[0]) if e["ImgName"].size else "" for e in entries.flat]
    paths = {}
    for split in SPLITS:
        mask = [is_held_out("iiit5k", n) == (split == "heldout") for n in names]
        paths[split] = os.path.join(workdir, f"iiit5k_{split}.mat")
        scipy.io.savemat(paths[split], {key: entries.reshape(1, -1)[:, mask]})
    return paths


def prepare(shared, output, overwrite=False, ic15_scenes=None, rectified_ic15=False):
    from sceneocr.cli import convert_ic03, convert_ic13, convert_ic15_scenes, convert_iiit5k, convert_svt

    if os.path.exists(output) and os.listdir(output) and not overwrite:
        raise SystemExit(f"{output}: not empty (use --overwrite to rebuild it)")
    sources = {
        "ic15": os.path.join(shared, "ic15_words_train"),
        "iiit5k": os.path.join(shared, "iiit5k_train"),
        "ic03": os.path.join(shared, "ic03_train", "SceneTrialTrain"),
        "svt": os.path.join(shared, "svt_train"),
    }
    for name, folder in sources.items():
        if not os.path.isdir(folder):
            raise SystemExit(f"{folder}: not found ({name} training data)")
    coords = os.path.join(sources["ic15"], "coords.txt")
    if rectified_ic15 and not os.path.isfile(coords):
        raise SystemExit(f"{coords}: not found (--rectified_ic15 needs the IC15 crops' quadrilaterals)")
    parent = os.path.dirname(os.path.abspath(output))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".prepare-", dir=parent)
    try:
        with tempfile.TemporaryDirectory() as workdir:
            annotations = {
                "ic15": _split_lines(os.path.join(sources["ic15"], "gt.txt"), workdir),
                "iiit5k": _split_mat(os.path.join(sources["iiit5k"], "trainCharBound.mat"), workdir),
                "ic03": _split_xml(os.path.join(sources["ic03"], "words.xml"), "ic03", workdir),
                "svt": _split_xml(os.path.join(sources["svt"], "train.xml"), "svt", workdir),
            }
            for split in SPLITS:
                for name, paths in annotations.items():
                    target = os.path.join(staging, split, name)
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    if name == "ic15":
                        summary = convert_ic13.convert(sources[name], paths[split], target, "folder", "none")
                    elif name == "iiit5k":
                        summary = convert_iiit5k.convert(sources[name], paths[split], target, "folder", "none")
                    elif name == "ic03":
                        summary = convert_ic03.convert(sources[name], paths[split], target, "folder", "none")
                    else:
                        summary = convert_svt.convert(sources[name], paths[split], target, "folder")
                    print(f"{split}/{name}: {summary.text()}")
                if rectified_ic15:
                    summary = convert_ic13.convert(sources["ic15"], annotations["ic15"][split],
                                                   os.path.join(staging, split, "ic15_rectified"), "folder", "none",
                                                   coords=coords)
                    print(f"{split}/ic15_rectified: {summary.text()}")
            if ic15_scenes:
                summary = convert_ic15_scenes.convert(ic15_scenes, os.path.join(staging, "train", "ic15_scenes"),
                                                      "folder", exclude_words=sources["ic15"])
                print(f"train/ic15_scenes: {summary.text()}")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # an interrupted run leaves nothing behind
        raise
    if os.path.exists(output):
        shutil.rmtree(output)
    os.replace(staging, output)
    return output


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", default="../shared/train", help="the shared train/ folder")
    parser.add_argument("--output", default="data/real_words")
    parser.add_argument("--overwrite", action="store_true", help="rebuild a non-empty output folder")
    parser.add_argument("--ic15_scenes", metavar="ROOT",
                        help="also cut train/ic15_scenes/ from the ICDAR 2015 training scenes in ROOT "
                             "(sceneocr convert ic15-scenes; held-back scenes and words left out)")
    parser.add_argument("--rectified_ic15", action="store_true",
                        help="also write {train,heldout}/ic15_rectified/: the IC15 crops with their quadrilaterals "
                             "(coords.txt) warped upright")
    args = parser.parse_args()
    prepare(args.shared, args.output, args.overwrite, args.ic15_scenes, args.rectified_ic15)


if __name__ == "__main__":
    run_converter(main)
