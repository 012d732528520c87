"""`make extension`: assemble the MusicFace Blender extension and zip it.

build/extension/musicface/ gets the add-on (musicface_blender/*), the repository's
blender_manifest.toml beside its __init__.py, the head template, and the engine's
numpy/stdlib-only modules the add-on shares (the Performance format, errors and
exit codes, task and stream names, ARKit names, shape-key name matching, template
and separator names)
vendored under `_vendor/core/` with their `core.` imports made relative. A package
whose own `__init__.py` is not listed (core/separation/'s imports the separators)
gets an empty one, so the vendored module comes without what the package pulls in.
The zip is build/musicface-<version>.zip, with the manifest at its root, ready for
Blender's "Install from Disk" or `bpy.ops.extensions.package_install_files`.
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import sys
import tomllib
import zipfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
ADDON = REPOSITORY / "musicface_blender"
MANIFEST = REPOSITORY / "blender_manifest.toml"
TEMPLATE = REPOSITORY / "blend_templates" / "musicface_head.blend"
# Engine modules the add-on imports through musicface_blender/core_link.py.
VENDORED = (
    "core/__init__.py",
    "core/errors.py",
    "core/atomic_write.py",
    "core/performance.py",
    "core/face/__init__.py",
    "core/face/arkit.py",
    "core/face/names.py",
    "core/face/template.py",
    "core/separation/names.py",
    "core/tasks.py",
    "core/streams.py",
    "core/live/datagram.py",
)
ALLOWED_THIRD_PARTY = {"numpy"}
_FROM_CORE = re.compile(r"^(\s*)from core((?:\.\w+)*) import ", re.MULTILINE)


def relative_imports(source: str, module: str) -> str:
    """Rewrite `from core.x import y` in `module` (e.g. "core/face/names.py") as relative."""
    depth = len(Path(module).parent.parts)  # core → 1, core/face → 2

    def replace(match: re.Match[str]) -> str:
        rest = match.group(2).lstrip(".")
        return f"{match.group(1)}from {'.' * depth}{rest} import "

    rewritten = _FROM_CORE.sub(replace, source)
    if re.search(r"^\s*import core\b", rewritten, re.MULTILINE):
        raise SystemExit(f"{module}: `import core…` cannot be vendored; use `from core.… import`")
    return rewritten


def check_imports(source: str, module: str) -> None:
    """A vendored module may import only the stdlib, numpy and its vendored siblings."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top not in sys.stdlib_module_names and top not in ALLOWED_THIRD_PARTY:
                raise SystemExit(f"{module} imports {name}: it cannot ship inside the extension")


def assemble(out_dir: Path) -> Path:
    manifest = tomllib.loads(MANIFEST.read_text())
    folder = out_dir / "extension" / manifest["id"]
    if folder.exists():
        shutil.rmtree(folder)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "_vendor", "templates")
    shutil.copytree(ADDON, folder, ignore=ignore)
    shutil.copy2(MANIFEST, folder / "blender_manifest.toml")
    vendor = folder / "_vendor"
    vendor.mkdir()
    (vendor / "__init__.py").write_text(
        '"""Engine modules copied at build time by scripts/build_extension.py; do not edit."""\n'
    )
    for module in VENDORED:
        source = relative_imports((REPOSITORY / module).read_text(), module)
        check_imports(source, module)
        target = vendor / module
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source)
    for package in sorted({path.parent for path in vendor.rglob("*.py")}):
        stub = package / "__init__.py"
        if not stub.exists():
            stub.write_text('"""Only the modules the add-on shares; see _vendor/__init__.py."""\n')
    if not TEMPLATE.is_file():
        raise SystemExit(f"head template missing: {TEMPLATE} (run `make template` first)")
    (folder / "templates").mkdir()
    shutil.copy2(TEMPLATE, folder / "templates" / TEMPLATE.name)
    return folder


def zip_folder(folder: Path, archive: Path) -> Path:
    archive.unlink(missing_ok=True)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                bundle.write(path, path.relative_to(folder).as_posix())
    return archive


def build(out_dir: Path = REPOSITORY / "build") -> Path:
    manifest = tomllib.loads(MANIFEST.read_text())
    folder = assemble(out_dir)
    return zip_folder(folder, out_dir / f"{manifest['id']}-{manifest['version']}.zip")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=REPOSITORY / "build")
    archive = build(parser.parse_args().out_dir)
    print(archive)
    return 0


if __name__ == "__main__":
    sys.exit(main())
