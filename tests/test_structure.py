"""Package structure: shared code imports no model package, and no sceneocr modules import each other in a circle."""
import ast
import glob
import json
import os
import subprocess
import sys

from conftest import ROOT

MODEL_PACKAGES = ("sceneocr.crnn", "sceneocr.deeptext")


def module_name(path):
    name = os.path.relpath(path, ROOT)[:-len(".py")].replace(os.sep, ".")
    return name[:-len(".__init__")] if name.endswith(".__init__") else name


def package_modules():
    return {module_name(p): p for p in glob.glob(os.path.join(ROOT, "sceneocr", "**", "*.py"), recursive=True)}


def imported_modules(path, name, known):
    """sceneocr modules that ``path`` imports anywhere, at module level or inside functions: a lazy import
    is still a dependency (it is how a circle gets hidden)."""
    package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read(), path)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from sceneocr.data import words`
    return {m for m in found if m in known and m != name}


def import_cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_no_import_cycles_among_package_modules():
    modules = package_modules()
    graph = {name: imported_modules(path, name, modules) for name, path in modules.items()}
    assert len(graph) > 30 and "sceneocr.registry" in graph
    assert import_cycles(graph) == []


def test_the_cycle_finder_sees_lazy_imports(tmp_path):
    a = tmp_path / "a.py"
    a.write_text("def f():\n    from pkg.b import g\n")
    assert imported_modules(str(a), "pkg.a", {"pkg.a", "pkg.b"}) == {"pkg.b"}
    assert import_cycles({"pkg.a": {"pkg.b"}, "pkg.b": {"pkg.a"}, "pkg.c": {"pkg.a"}}) == [["pkg.a", "pkg.b"]]


def run_fresh(code):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_data_and_metrics_import_no_model_package():
    shared = sorted(name for name in package_modules()
                    if name.startswith(("sceneocr.data", "sceneocr.metrics", "sceneocr.geometry")))
    assert "sceneocr.metrics.detection" in shared and "sceneocr.data.mindrecord" in shared
    loaded = run_fresh(f"import importlib, json, sys\n"
                       f"for name in {shared!r}:\n"
                       f"    importlib.import_module(name)\n"
                       f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({MODEL_PACKAGES!r}))))")
    assert loaded == []


def test_models_register_themselves_and_load_on_first_use():
    result = run_fresh(
        "import json, sys\n"
        "import sceneocr.registry, sceneocr.models\n"
        "before = [m for m in sys.modules if m in ('sceneocr.crnn', 'sceneocr.deeptext')]\n"
        "@sceneocr.registry.register_model('structure_test_net', width=2)\n"
        "def net(width):\n"
        "    return ('net', width)\n"
        "names = sceneocr.models.list_models()\n"
        "print(json.dumps({'before': before, 'names': names, 'built': sceneocr.models.create_model('structure_test_net', "
        "width=3)}))")
    assert result["before"] == []  # importing the registry (or sceneocr.models) loads no model package
    assert {"crnn_vgg_tiny", "deeptext_tiny", "structure_test_net"} <= set(result["names"])
    assert result["built"] == ["net", 3]


TOP_LEVEL_SCRIPTS = ("train", "eval", "export", "infer", "benchmark", "convert_ic03", "convert_ic13", "convert_iiit5k",
                     "convert_svt")


def test_the_house_reads_top_down():
    """Scripts -> the command line (sceneocr.cli) -> the library: no library module imports the command line, and
    model packages never import each other."""
    modules = package_modules()
    graph = {name: imported_modules(path, name, modules) for name, path in modules.items()}
    library = {name for name in graph if not name.startswith("sceneocr.cli") and name != "sceneocr.__main__"}
    assert "sceneocr.e2e.predictor" in library and "sceneocr.cli.read" in graph
    offenders = {name: sorted(m for m in graph[name] if m.startswith("sceneocr.cli")) for name in library}
    assert {name: found for name, found in offenders.items() if found} == {}
    for model, other in (("sceneocr.crnn", "sceneocr.deeptext"), ("sceneocr.deeptext", "sceneocr.crnn")):
        crossing = {name for name in graph if name.startswith(model) and any(m.startswith(other) for m in graph[name])}
        assert crossing == set()


def test_scripts_are_thin_and_nothing_imports_them():
    scripts = [os.path.join(ROOT, f"{name}.py") for name in TOP_LEVEL_SCRIPTS]
    scripts += glob.glob(os.path.join(ROOT, "scripts", "*.py"))
    assert len(scripts) >= 18
    for path in scripts:
        tree = ast.parse(open(path, encoding="utf-8").read(), path)
        imports = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        assert imports == {"runpy"}, path  # they run a sceneocr.cli module and hold no logic (no sys.path edits)
        assert sum(isinstance(node, (ast.FunctionDef, ast.ClassDef)) for node in ast.walk(tree)) == 0, path
    names = set(TOP_LEVEL_SCRIPTS) | {os.path.basename(p)[:-3] for p in scripts}
    for path in list(package_modules().values()) + glob.glob(os.path.join(ROOT, "tests", "*.py")):
        for node in ast.walk(ast.parse(open(path, encoding="utf-8").read(), path)):
            if isinstance(node, ast.Import):
                assert not {alias.name for alias in node.names} & names, path
            elif isinstance(node, ast.ImportFrom) and not node.level:
                assert node.module not in names, path


def test_the_command_runs_every_command_module():
    from sceneocr.cli import COMMANDS, CONVERTERS

    for module in [m for m, _ in COMMANDS.values()] + list(CONVERTERS.values()):
        assert os.path.isfile(os.path.join(ROOT, "sceneocr", "cli", f"{module}.py")), module
    out = subprocess.run([sys.executable, "-m", "sceneocr", "eval", "--help"], capture_output=True, text=True,
                         cwd=ROOT, timeout=300)
    assert out.returncode == 0 and out.stdout.startswith("usage: sceneocr eval") and "--dataset" in out.stdout
    out = subprocess.run([sys.executable, "-m", "sceneocr", "nonsense"], capture_output=True, text=True, cwd=ROOT,
                         timeout=300)
    assert out.returncode == 2 and "unknown command 'nonsense'" in out.stderr


def test_every_module_imports():
    """The fast tier touches every module: each imports on its own (the command modules too)."""
    import importlib

    names = sorted(name for name in package_modules() if name != "sceneocr.__main__")
    assert len(names) > 60
    for name in names:
        importlib.import_module(name)
