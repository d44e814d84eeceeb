import pytest

from src.config import ConfigError, apply_overrides, load_config, load_yaml, save_config

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


def test_shipped_configs_load():
    import glob
    import os

    from conftest import ROOT

    paths = glob.glob(os.path.join(ROOT, "configs", "*", "*.yaml"))
    assert paths
    for path in paths:
        cfg = load_config(path)
        assert "model" in cfg and "train" in cfg, path


def test_composite_model_passes_overrides_to_its_parts():
    from src.cli import config_for, parse

    args, cfg = parse(["--model", "e2e", "--val_seed", "3"], "", models=("crnn", "deeptext", "e2e"))
    assert cfg is None and args.overrides == ["--val_seed", "3"]
    assert config_for("deeptext", overrides=args.overrides)["data"]["val_seed"] == 3
