"""Convert IIIT5K-Words to the recognition format.

    sceneocr convert iiit5k --root /data/IIIT5K --mat /data/IIIT5K/testdata.mat --output data/iiit5k_test

Accepts both annotation files: testdata.mat/traindata.mat (fields ImgName, GroundTruth, smallLexi,
mediumLexi; the lexicon chosen by --lexicon is kept with each word) and testCharBound.mat/
trainCharBound.mat (fields ImgName, chars, charBB; no lexicon). MATLAB v7.3 (HDF5) files are refused
with a hint: re-save them as v7 (MATLAB ``save(f, '-struct', s, '-v7')`` or Octave ``save -v7``).
Image names must stay inside --root and be decodable images; other entries are skipped and counted.
"""
import os

from sceneocr.data.convert import (OUTSIDE_ROOT, ConversionError, RecognitionWriter, Summary, check_root,
                              converter_parser, inside_root, progress, read_image_bytes, run_converter,
                              write_sample)

LEXICON_FIELDS = {"small": "smallLexi", "medium": "mediumLexi", "none": None}


def _text(value):
    """A MATLAB string as loaded by scipy: nested 0-d/1-d arrays around a str."""
    while hasattr(value, "shape") and value.size == 1 and value.dtype == object:
        value = value.flat[0]
    if hasattr(value, "shape"):
        value = value.flat[0] if value.size else ""
    return str(value).strip()


def _words(value):
    return [w for w in (_text(v) for v in getattr(value, "flat", [])) if w]


def load_annotations(mat_path):
    """[(image name, label, lexicon or None)] from either IIIT5K .mat layout."""
    import scipy.io

    if not os.path.isfile(mat_path):
        raise ConversionError(f"{mat_path}: file not found")
    try:
        mat = scipy.io.loadmat(mat_path)
    except NotImplementedError:  # scipy's answer to an HDF5-based v7.3 file
        raise ConversionError(f"{mat_path}: MATLAB v7.3 (HDF5) file, which scipy cannot read; re-save it as v7 "
                              f"(MATLAB: save('{os.path.basename(mat_path)}', '-v7'); Octave: save -v7) "
                              f"and convert again") from None
    except (ValueError, OSError, TypeError, scipy.io.matlab.MatReadError) as exc:
        raise ConversionError(f"{mat_path}: not a readable MATLAB file ({exc})") from None
    keys = [k for k in mat if not k.startswith("__")]
    if len(keys) != 1:
        raise ConversionError(f"{mat_path}: expected one struct array, found {keys}")
    table = mat[keys[0]]
    fields = table.dtype.names or ()
    label_field = "GroundTruth" if "GroundTruth" in fields else "chars" if "chars" in fields else None
    if "ImgName" not in fields or label_field is None:
        raise ConversionError(f"{mat_path}: expected fields ImgName and GroundTruth (testdata.mat) or "
                              f"ImgName and chars (testCharBound.mat); found {list(fields)}")
    return table.flatten(), label_field, fields


def convert(root, mat_path, output, fmt="lmdb", lexicon="small", overwrite=False):
    check_root(root)
    entries, label_field, fields = load_annotations(mat_path)
    lexicon_field = LEXICON_FIELDS[lexicon]
    if lexicon_field and lexicon_field not in fields:
        lexicon_field = None  # CharBound files carry no lexicons
    summary = Summary(os.path.basename(mat_path))
    with RecognitionWriter(output, fmt, overwrite, protect=(root, mat_path)) as writer:
        for entry in progress(entries, desc="iiit5k"):
            name, label = _text(entry["ImgName"]), _text(entry[label_field])
            path = inside_root(root, name)
            if path is None:
                summary.skip(OUTSIDE_ROOT, name)
                continue
            if not os.path.isfile(path):
                summary.skip("image missing", name)
                continue
            data = read_image_bytes(path)
            if data is None:
                summary.skip("not a decodable image", name)
                continue
            words = _words(entry[lexicon_field]) if lexicon_field else None
            write_sample(writer, summary, data, label, words, ext=os.path.splitext(name)[1] or ".png", where=name)
    return summary


def main():
    parser = converter_parser(__doc__)
    parser.add_argument("--root", required=True, help="IIIT5K folder (ImgName paths are relative to it)")
    parser.add_argument("--mat", required=True, help="testdata.mat, traindata.mat, testCharBound.mat, ...")
    parser.add_argument("--lexicon", default="small", choices=sorted(LEXICON_FIELDS))
    args = parser.parse_args()
    print(convert(args.root, args.mat, args.output, args.format, args.lexicon, args.overwrite).text())


if __name__ == "__main__":
    run_converter(main)
