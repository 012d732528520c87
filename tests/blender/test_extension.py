"""`make extension`: the zip installs, enables and disables in Blender (4.5 and 5.0)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from musicface_blender.core_link import SEPARATORS
from tests.blender.conftest import REPO, TEMPLATE

# Runs in a fresh interpreter with its own Blender user folder, so installing the
# extension never touches the user's Blender and the repository's `core` is not on
# sys.path: the add-on must work from what the zip holds.
INSTALL = """
import json, sys
import bpy
result = {}
bpy.ops.extensions.package_install_files(
    filepath=sys.argv[1], repo="user_default", enable_on_install=True
)
module = "bl_ext.user_default.musicface"
result["enabled"] = module in bpy.context.preferences.addons
result["scene_settings"] = hasattr(bpy.types.Scene, "musicface")
result["operator"] = hasattr(bpy.ops.musicface, "generate")
video = "video" in bpy.context.scene.musicface.bl_rna.properties
result["capture"] = hasattr(bpy.ops.musicface, "capture") and video
link = sys.modules[module + ".core_link"]
result["vendored"] = link.performance.__name__
result["core_importable"] = "core" in sys.modules
result["separators"] = list(link.SEPARATORS)
menu = bpy.context.scene.musicface.bl_rna.properties["separator"].enum_items
result["separator_menu"] = [item.identifier for item in menu]
bpy.ops.musicface.add_head()
head = bpy.context.scene.musicface.target
result["head_keys"] = len(head.data.shape_keys.key_blocks) - 1
bpy.ops.preferences.addon_disable(module=module)
result["disabled"] = module not in bpy.context.preferences.addons
result["settings_gone"] = not hasattr(bpy.types.Scene, "musicface")
print("RESULT " + json.dumps(result), flush=True)
import os
os._exit(0)  # skip the bpy module's shutdown: 4.2 may crash there, after the work is done
"""


@pytest.fixture(scope="module")
def extension_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not TEMPLATE.is_file():
        pytest.skip(f"head template not built: {TEMPLATE}")
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import build_extension
    finally:
        sys.path.remove(str(REPO / "scripts"))
    return build_extension.build(tmp_path_factory.mktemp("build"))


def test_the_zip_holds_the_manifest_beside_init(extension_zip):
    names = zipfile.ZipFile(extension_zip).namelist()
    assert {"blender_manifest.toml", "__init__.py", "templates/musicface_head.blend"} <= set(names)
    assert {"_vendor/core/performance.py", "_vendor/core/errors.py"} <= set(names)
    # The separator names without core/separation's own __init__ (it imports the separators).
    assert "_vendor/core/separation/names.py" in names
    # Live mode's datagram format: the receiver reads the engine's own (no torch there).
    assert "_vendor/core/live/datagram.py" in names
    init = zipfile.ZipFile(extension_zip).read("_vendor/core/separation/__init__.py").decode()
    assert "import" not in init
    assert not any("__pycache__" in n for n in names)
    manifest = zipfile.ZipFile(extension_zip).read("blender_manifest.toml")
    assert manifest == (REPO / "blender_manifest.toml").read_bytes()


def test_the_zip_installs_enables_and_disables(extension_zip, tmp_path):
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(tmp_path / "blender")}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [sys.executable, "-c", INSTALL, str(extension_zip)],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # not the repository: `core` must come from the zip
        env=env,
        timeout=300,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:] + done.stdout[-2000:]
    result = json.loads(lines[-1][len("RESULT ") :])
    assert result == {
        "enabled": True,
        "scene_settings": True,
        "operator": True,
        "capture": True,
        "vendored": "bl_ext.user_default.musicface._vendor.core.performance",
        "core_importable": False,
        "separators": list(SEPARATORS),
        "separator_menu": list(SEPARATORS),
        "head_keys": 52,
        "disabled": True,
        "settings_gone": True,
    }
    installed = tmp_path / "blender" / "extensions" / "user_default" / "musicface"
    assert (installed / "blender_manifest.toml").is_file()
