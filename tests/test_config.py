import glob
import os

import pytest

from conftest import ROOT
from sceneocr.config import ConfigError, apply_overrides, load_config, load_yaml, save_config

BASE = {"model": {"name": "crnn_vgg"}, "train": {"lr": 0.02, "batch_size": 64},
        "eval": {"batch_size": 32}}


def test_dotted_and_bare_overrides():
    cfg = apply_overrides(BASE, ["--train.lr", "0.5", "--name=crnn_vgg_tiny"])
    assert cfg["train"]["lr"] == 0.5 and cfg["model"]["name"] == "crnn_vgg_tiny"
    assert BASE["train"]["lr"] == 0.02  # the input is not modified


def test_ambiguous_and_unknown_keys_are_errors():
    with pytest.raises(ConfigError, match="ambiguous"):
        apply_overrides(BASE, ["--batch_size", "8"])
    with pytest.raises(ConfigError, match="unknown config key 'nope'"):
        apply_overrides(BASE, ["--nope", "1"])
    with pytest.raises(ConfigError, match="needs a value"):
        apply_overrides(BASE, ["--train.lr"])


def test_values_are_parsed_as_yaml_never_evaluated():
    cfg = apply_overrides(BASE, ["--train.lr", "__import__('os').getcwd()", "--train.batch_size", "[1, 2]"])
    assert cfg["train"]["lr"] == "__import__('os').getcwd()"
    assert cfg["train"]["batch_size"] == [1, 2]
    with pytest.raises(ConfigError, match=r"train.lr must be a finite number, got \"__import__"):
        load_config(CRNN_TINY, ["--train.lr", "__import__('os').getcwd()"])


def test_base_inheritance_and_saved_round_trip(tmp_path):
    (tmp_path / "base.yaml").write_text("train: {lr: 0.1, epochs: 3}\nmodel: {name: a}\n")
    (tmp_path / "child.yaml").write_text("_base_: base.yaml\ntrain: {lr: 0.2}\n")
    cfg = load_config(str(tmp_path / "child.yaml"), ["--epochs", "5"])
    assert cfg == {"train": {"lr": 0.2, "epochs": 5}, "model": {"name": "a"}}
    save_config(cfg, str(tmp_path / "saved.yaml"))
    assert load_yaml(str(tmp_path / "saved.yaml")) == cfg


def test_bad_files_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match="missing.yaml: config file not found"):
        load_yaml(str(tmp_path / "missing.yaml"))
    (tmp_path / "bad.yaml").write_text("a: [1, 2\n")
    with pytest.raises(ConfigError, match="bad.yaml: invalid YAML"):
        load_yaml(str(tmp_path / "bad.yaml"))


def test_shipped_configs_load_and_validate():
    from sceneocr.model_config import default_config

    paths = glob.glob(os.path.join(ROOT, "configs", "*", "*.yaml"))
    assert len(paths) >= 6
    for path in paths:
        model = os.path.basename(os.path.dirname(path))
        cfg = load_config(path, defaults=default_config(model))
        assert "model" in cfg and "train" in cfg, path
        assert load_config(path) == cfg, path


def test_composite_model_passes_overrides_to_its_parts():
    from sceneocr.cli.common import parse
    from sceneocr.model_config import resolve_config

    args, cfg = parse(["--model", "e2e", "--val_seed", "3"], "", models=("crnn", "deeptext", "e2e"))
    assert cfg is None and args.overrides == ["--val_seed", "3"]
    assert resolve_config("deeptext", overrides=args.overrides)["data"]["val_seed"] == 3


# --- issue 9 item 8: every key must exist in the model's default config ----------------------------------

CRNN_TINY = os.path.join(ROOT, "configs", "crnn", "crnn_tiny.yaml")
CRNN_CPU = os.path.join(ROOT, "configs", "crnn", "crnn_cpu.yaml")
DEEPTEXT_TINY = os.path.join(ROOT, "configs", "deeptext", "deeptext_tiny.yaml")
DEEPTEXT_CPU = os.path.join(ROOT, "configs", "deeptext", "deeptext_cpu.yaml")


def config_problems(path, overrides=(), defaults=CRNN_CPU):
    with pytest.raises(ConfigError) as caught:
        load_config(path, list(overrides), defaults=defaults)
    return caught.value.problems


@pytest.mark.parametrize("overrides, line", [
    (["--train.bach_size", "3"],
     "command line: unknown config key 'train.bach_size' (did you mean 'train.batch_size'?)"),
    (["--bach_size", "3"],
     "command line: unknown config key 'bach_size' (did you mean 'train.batch_size' or 'eval.batch_size'?)"),
    (["--trian.lr", "0.1"], "command line: unknown config key 'trian.lr' (did you mean 'train.lr'?)"),
    (["--train.workers", "2"], "command line: unknown config key 'train.workers' (did you mean 'data.workers'?)"),
    (["--model", "{name: crnn_vgg, depth: 3}"],
     "command line: unknown config key 'model.depth'"),
])
def test_unknown_override_keys_are_refused_with_the_close_match(overrides, line):
    assert config_problems(CRNN_TINY, overrides) == [line]


def test_bare_and_dotted_keys_still_work():
    cfg = load_config(CRNN_TINY, ["--lr", "0.5", "--train.batch_size=3", "--model", "{name: crnn_vgg}"],
                      defaults=CRNN_CPU)
    assert (cfg["train"]["lr"], cfg["train"]["batch_size"], cfg["model"]["name"]) == (0.5, 3, "crnn_vgg")
    assert cfg["image"]["height"] == 32


def test_unknown_keys_in_a_user_file_name_the_file(tmp_path):
    child = tmp_path / "child.yaml"
    child.write_text(f"_base_: {CRNN_CPU}\ntrain: {{bach_size: 3}}\nmodle: {{name: crnn_vgg}}\n")
    assert config_problems(str(child)) == [
        f"{child}: unknown config key 'train.bach_size' (did you mean 'train.batch_size'?)",
        f"{child}: unknown config key 'modle' (did you mean 'model'?)"]
    # Without the model's default (tests, scripts), the root of the _base_ chain is the reference.
    with pytest.raises(ConfigError, match="train.bach_size"):
        load_config(str(child))


def test_a_user_file_without_base_is_checked_against_the_model_default(tmp_path):
    from sceneocr.cli.common import parse

    own = tmp_path / "own.yaml"
    own.write_text("train: {bach_size: 3, lr: 0.01}\n")
    with pytest.raises(ConfigError, match=r"own.yaml: unknown config key 'train.bach_size'"):
        parse(["--model", "crnn", "--config", str(own)], "")
    own.write_text("train: {lr: 0.01}\nmodel: {name: crnn_vgg_tiny}\n")
    _, cfg = parse(["--model", "crnn", "--config", str(own)], "")
    assert cfg["train"]["lr"] == 0.01 and cfg["model"]["name"] == "crnn_vgg_tiny"
    assert cfg["train"]["batch_size"] == load_yaml(CRNN_CPU)["train"]["batch_size"]  # the rest: defaults


def test_a_bad_key_stops_train_before_it_writes_anything(tmp_path, capsys):
    from sceneocr.cli.common import run_main
    from sceneocr.cli.train import main

    output_dir = tmp_path / "run"
    argv = ["--model", "crnn", "--config", CRNN_TINY, "--train.output_dir", str(output_dir),
            "--train.bach_size", "3", "--max_steps", "1", "--val", ""]
    with pytest.raises(SystemExit) as caught:
        run_main(lambda: main(argv))
    assert caught.value.code == 2
    assert not output_dir.exists()  # no config.yaml, no train.log
    assert capsys.readouterr().err == ("error: command line: unknown config key 'train.bach_size' "
                                       "(did you mean 'train.batch_size'?)\n")


# --- issue 9 item 9: values are checked once, at load ------------------------------------------------------

@pytest.mark.parametrize("path, overrides, line", [
    (CRNN_TINY, ["--train.lr", "-1"], "train.lr must be > 0, got -1"),
    (CRNN_TINY, ["--train.lr", "abc"], "train.lr must be a finite number, got 'abc'"),
    (CRNN_TINY, ["--train.lr", ".inf"], "train.lr must be a finite number, got inf"),
    (CRNN_TINY, ["--train.batch_size", "-4"], "train.batch_size must be >= 1, got -4"),
    (CRNN_TINY, ["--train.batch_size", "0"], "train.batch_size must be >= 1, got 0"),
    (CRNN_TINY, ["--train.batch_size", "2.5"], "train.batch_size must be an integer, got 2.5"),
    (CRNN_TINY, ["--train.batch_size", "abc"], "train.batch_size must be an integer, got 'abc'"),
    (CRNN_TINY, ["--train.batch_size", "true"], "train.batch_size must be an integer, got True"),
    (CRNN_TINY, ["--eval.batch_size", "0"], "eval.batch_size must be >= 1, got 0"),
    (CRNN_TINY, ["--train.epochs", "0"], "train.epochs must be >= 1, got 0"),
    (CRNN_TINY, ["--train.max_steps", "-1"], "train.max_steps must be >= 0, got -1"),
    (CRNN_TINY, ["--train.warmup_steps", "-5"], "train.warmup_steps must be >= 0, got -5"),
    (CRNN_TINY, ["--train.keep_last", "-1"], "train.keep_last must be >= 0, got -1"),
    (CRNN_TINY, ["--train.log_every", "0"], "train.log_every must be >= 1, got 0"),
    (CRNN_TINY, ["--train.momentum", "1"], "train.momentum must be in [0, 1), got 1"),
    (CRNN_TINY, ["--train.clip_norm", "-1"], "train.clip_norm must be >= 0, got -1"),
    (CRNN_TINY, ["--train.optimizer", "adamw"], "train.optimizer must be one of sgd, momentum, adam, got 'adamw'"),
    (CRNN_TINY, ["--train.nesterov", "maybe"], "train.nesterov must be true or false, got 'maybe'"),
    (CRNN_TINY, ["--train.loss_scale", "big"],
     "train.loss_scale must be auto, none, dynamic or a number > 0, got 'big'"),
    (CRNN_TINY, ["--train.data_sink", "-2"],
     "train.data_sink must be auto, true, false or a number of steps >= 0, got -2"),
    (CRNN_TINY, ["--system.precision", "float8"],
     "system.precision must be one of auto, float32, float16, got 'float8'"),
    (CRNN_TINY, ["--data.workers", "-1"], "data.workers must be >= 0, got -1"),
    (CRNN_TINY, ["--data.train_samples", "0"], "data.train_samples must be >= 1, got 0"),
    (CRNN_TINY, ["--data.train", "[1, 2]"],
     "data.train must be a name, or a non-empty list of names or mappings, got [1, 2]"),
    (CRNN_TINY, ["--data.fonts", "{a: 1}"], "data.fonts must be a folder or a list of folders, got {'a': 1}"),
    (CRNN_TINY, ["--train.resume", "[a]"], "train.resume must be a path (or empty), got ['a']"),
    (CRNN_TINY, ["--image.height", "0"], "image.height must be >= 1, got 0"),
    (CRNN_TINY, ["--image.channels", "2"], "image.channels must be one of 1, 3, got 2"),
    (CRNN_TINY, ["--model.name", "[a]"], "model.name must be a string (quote it in YAML), got ['a']"),
    (DEEPTEXT_TINY, ["--model.image_height", "0"], "model.image_height must be >= 1, got 0"),
    (DEEPTEXT_TINY, ["--eval.score_threshold", "1.5"], "eval.score_threshold must be in [0, 1], got 1.5"),
    (DEEPTEXT_TINY, ["--data.max_boxes", "0"], "data.max_boxes must be >= 1, got 0"),
])
def test_bad_values_are_refused_at_load(path, overrides, line):
    defaults = DEEPTEXT_CPU if "deeptext" in path else CRNN_CPU
    assert config_problems(path, overrides, defaults) == [f"command line: {line}"]


def test_every_problem_is_reported_together_one_line_each(tmp_path):
    own = tmp_path / "own.yaml"
    own.write_text(f"_base_: {CRNN_CPU}\ntrain: {{epochs: 2.5, lr: 1e-3}}\n")
    error = config_problems(str(own), ["--train.batch_size", "-4", "--warmup_steps", "x", "--bach", "1"])
    assert error == [f"{own}: train.epochs must be an integer, got 2.5",
                     "command line: train.batch_size must be >= 1, got -4",
                     "command line: train.warmup_steps must be an integer, got 'x'",
                     "command line: unknown config key 'bach'"]
    with pytest.raises(ConfigError) as caught:
        load_config(str(own), ["--train.batch_size", "-4", "--warmup_steps", "x"], defaults=CRNN_CPU)
    assert str(caught.value).splitlines()[0] == "3 config problems:"


def test_values_of_every_accepted_form_load_typed():
    cfg = load_config(CRNN_TINY, [
        "--train.lr", "1e-3",              # YAML reads 1e-3 as text; a float key takes it as a number
        "--train.clip_norm", "1",          # a float key takes an int
        "--train.loss_scale", "128", "--train.data_sink", "false",
        "--train.output_dir", "2024",      # a string key takes the text as typed, not YAML's number
        "--charset.alphabet", "01234567",  # (YAML would read an octal number)
        "--train.resume", "",
        "--data.train", "[{source: synthetic, ratio: 0.6}, {source: data/real, ratio: 0.4, augment: true}]",
        "--data.fonts", "/fonts", "--data.val", ""], defaults=CRNN_CPU)
    t, d = cfg["train"], cfg["data"]
    assert (t["lr"], t["clip_norm"], t["loss_scale"], t["data_sink"]) == (0.001, 1.0, 128.0, False)
    assert (t["output_dir"], cfg["charset"]["alphabet"], t["resume"]) == ("2024", "01234567", "")
    assert d["train"][1] == {"source": "data/real", "ratio": 0.4, "augment": True}
    assert (d["fonts"], d["val"]) == ("/fonts", "")
    for loss_scale in ("auto", "none", "dynamic"):
        assert load_config(CRNN_TINY, ["--loss_scale", loss_scale])["train"]["loss_scale"] == loss_scale


def test_keys_below_a_null_or_empty_default_are_free_form(tmp_path):
    (tmp_path / "default.yaml").write_text("model: {name: a, backbone: null, extra: {}}\ntrain: {lr: 0.1}\n")
    (tmp_path / "user.yaml").write_text("model: {backbone: {frozen_stages: 2, norm: bn}}\n")
    cfg = load_config(str(tmp_path / "user.yaml"), ["--model.extra.anything", "[1]"],
                      defaults=str(tmp_path / "default.yaml"))
    assert cfg["model"] == {"name": "a", "backbone": {"frozen_stages": 2, "norm": "bn"}, "extra": {"anything": [1]}}


@pytest.mark.parametrize("files, chain", [
    ({"self.yaml": "self.yaml"}, "self.yaml -> self.yaml"),
    ({"a.yaml": "b.yaml", "b.yaml": "c.yaml", "c.yaml": "a.yaml"}, "a.yaml -> b.yaml -> c.yaml -> a.yaml"),
])
def test_a_base_chain_that_includes_itself_is_one_error(tmp_path, files, chain):
    for name, base in files.items():
        (tmp_path / name).write_text(f"_base_: {base}\ntrain: {{lr: 0.1}}\n")
    first = str(tmp_path / next(iter(files)))
    with pytest.raises(ConfigError) as caught:
        load_config(first)
    expected = " -> ".join(str(tmp_path / name) for name in chain.split(" -> "))
    assert str(caught.value) == f"{first}: _base_ chain includes itself: {expected}"


def test_a_saved_run_config_loads_back(tmp_path):
    cfg = load_config(CRNN_TINY, ["--train.lr", "1e-3"], defaults=CRNN_CPU)
    save_config(cfg, str(tmp_path / "config.yaml"))
    assert load_config(str(tmp_path / "config.yaml"), defaults=CRNN_CPU) == cfg
