"""Load an ImageNet VGG16(-BN) checkpoint into DeepText's backbone.

Parameters are matched by name first (``backbone.stageK.I.weight`` or the same without the
``backbone.`` prefix); what is left is matched in order of appearance by role (convolution weights,
batch-norm gamma/beta/mean/variance) when the shapes agree. Missing and unexpected parameters are
listed so a wrong file is obvious."""
import mindspore as ms

ROLES = ("weight", "gamma", "beta", "moving_mean", "moving_variance")


def _role(name):
    last = name.rsplit(".", 1)[-1]
    return last if last in ROLES else None


def load_backbone(model, path, log=print):
    try:
        source = ms.load_checkpoint(path)
    except (ValueError, RuntimeError, OSError) as exc:
        raise ValueError(f"{path}: not a readable MindSpore checkpoint ({str(exc).splitlines()[0]})") from None
    targets = {p.name: p for p in model.backbone.get_parameters()}
    assigned, used = {}, set()
    for name, param in targets.items():
        for candidate in (name, name[len("backbone."):]):
            if candidate in source and tuple(source[candidate].shape) == tuple(param.shape):
                assigned[name], _ = source[candidate], used.add(candidate)
                break
    for role in ROLES:
        wanted = [n for n in targets if _role(n) == role and n not in assigned]
        offered = [n for n in source if _role(n) == role and n not in used and len(source[n].shape) == len(targets[wanted[0]].shape)] if wanted else []
        for name, candidate in zip(wanted, offered):
            if tuple(source[candidate].shape) == tuple(targets[name].shape):
                assigned[name] = source[candidate]
                used.add(candidate)
    for name, value in assigned.items():
        targets[name].set_data(value.astype(targets[name].dtype) if hasattr(value, "astype") else value)
    missing = sorted(set(targets) - set(assigned))
    unexpected = sorted(n for n in source if n not in used)
    log(f"pretrained {path}: loaded {len(assigned)} of {len(targets)} backbone parameters")
    if missing:
        log(f"  missing ({len(missing)}): {', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}")
    if unexpected:
        log(f"  unexpected ({len(unexpected)}): {', '.join(unexpected[:8])}{' ...' if len(unexpected) > 8 else ''}")
    return missing, unexpected
