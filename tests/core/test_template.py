"""The committed head template, read back with the real bpy module."""

from __future__ import annotations

from pathlib import Path

import bpy  # noqa: I001  (before anything that may import mathutils)
import numpy as np
import pytest

from core.face.arkit import ARKIT_NAMES
from core.face.model import FaceModel
from core.face.regions import PART_NAMES
from core.face.template import (
    BASIS_KEY,
    CAMERA_OBJECT,
    HEAD_OBJECT,
    PIVOT_OBJECT,
    TEMPLATE_PATH,
)

TOLERANCE = 1e-4  # 0.1 mm


@pytest.fixture(scope="module")
def face() -> FaceModel:
    return FaceModel.load()


def open_template(path: Path) -> None:
    bpy.ops.wm.open_mainfile(filepath=str(path))


def key_coordinates(head: bpy.types.Object) -> dict[str, np.ndarray]:
    result = {}
    for key in head.data.shape_keys.key_blocks:
        co = np.empty(len(key.data) * 3, dtype=np.float32)
        key.data.foreach_get("co", co)
        result[key.name] = co.reshape(-1, 3)
    return result


def test_template_has_head_pivot_camera_and_52_keys(face: FaceModel) -> None:
    assert TEMPLATE_PATH.is_file(), "run `musicface build-template` and commit the file"
    with open(TEMPLATE_PATH, "rb") as stream:
        magic = stream.read(4)
    assert magic == b"\x28\xb5\x2f\xfd", "the committed template is zstd-compressed"
    open_template(TEMPLATE_PATH)
    head = bpy.data.objects[HEAD_OBJECT]
    pivot = bpy.data.objects[PIVOT_OBJECT]
    assert head.type == "MESH" and pivot.type == "EMPTY" and head.parent == pivot
    assert pivot.rotation_mode == "XYZ"
    assert np.allclose(pivot.location, face.neck_pivot)
    assert bpy.context.scene.camera == bpy.data.objects[CAMERA_OBJECT]
    assert sum(obj.type == "LIGHT" for obj in bpy.data.objects) >= 2
    names = [key.name for key in head.data.shape_keys.key_blocks]
    assert names == [BASIS_KEY, *ARKIT_NAMES]
    mesh = head.data
    assert len(mesh.vertices) == face.n_vertices
    assert len(mesh.polygons) == len(face.triangles)
    assert all(polygon.use_smooth for polygon in mesh.polygons)
    assert "UVMap" in mesh.uv_layers
    assert len(mesh.materials) == len(PART_NAMES)
    indices = np.empty(len(mesh.polygons), dtype=np.int32)
    mesh.polygons.foreach_get("material_index", indices)
    assert np.array_equal(indices, face.face_parts)


def test_each_key_matches_face_model_delta(face: FaceModel) -> None:
    open_template(TEMPLATE_PATH)
    keys = key_coordinates(bpy.data.objects[HEAD_OBJECT])
    basis = keys[BASIS_KEY]
    assert np.abs(basis - (face.neutral - face.neck_pivot)).max() < TOLERANCE
    for index, name in enumerate(ARKIT_NAMES):
        error = np.abs(keys[name] - basis - face.deltas[index]).max()
        assert error < TOLERANCE, f"{name} differs by {error * 1000:.3f} mm"


def test_blender_pose_and_keys_match_face_model_vertices(face: FaceModel) -> None:
    open_template(TEMPLATE_PATH)
    head = bpy.data.objects[HEAD_OBJECT]
    pivot = bpy.data.objects[PIVOT_OBJECT]
    expression = np.zeros((1, 52), dtype=np.float32)
    for name, value in (("jawOpen", 0.7), ("eyeBlinkLeft", 1.0), ("mouthSmileRight", 0.4)):
        expression[0, ARKIT_NAMES.index(name)] = value
    pose = np.array([[0.25, -0.1, 0.4, 0.01, -0.02, 0.005]])
    for key in head.data.shape_keys.key_blocks[1:]:
        key.value = float(expression[0, ARKIT_NAMES.index(key.name)])
    pivot.rotation_euler = tuple(pose[0, :3])
    pivot.location = tuple(face.neck_pivot + pose[0, 3:])
    depsgraph = bpy.context.evaluated_depsgraph_get()
    depsgraph.update()
    evaluated = head.evaluated_get(depsgraph)
    mesh = evaluated.to_mesh()
    local = np.empty(len(mesh.vertices) * 3, dtype=np.float64)
    mesh.vertices.foreach_get("co", local)
    evaluated.to_mesh_clear()
    matrix = np.array(evaluated.matrix_world)
    local = local.reshape(-1, 3)
    world = local @ matrix[:3, :3].T + matrix[:3, 3]
    expected = face.vertices(expression, pose)[0]
    assert np.abs(world - expected).max() < TOLERANCE


def test_build_template_rebuilds_the_same_scene(face: FaceModel, tmp_path: Path) -> None:
    from core.blend_template import build_template

    open_template(TEMPLATE_PATH)
    committed = key_coordinates(bpy.data.objects[HEAD_OBJECT])
    committed_objects = sorted(obj.name for obj in bpy.data.objects)
    committed_materials = sorted(m.name for m in bpy.data.materials)
    camera = np.array(bpy.data.objects[CAMERA_OBJECT].matrix_world)
    rebuilt_path = build_template(face, tmp_path / "head.blend")
    open_template(rebuilt_path)
    rebuilt = key_coordinates(bpy.data.objects[HEAD_OBJECT])
    assert list(rebuilt) == list(committed)
    # Equal to a nanometre, not to the bit: coordinates that should be 0 come out as
    # ±1e-18 on some CPUs (the float rounding of numpy's vector kernels differs).
    for name in committed:
        np.testing.assert_allclose(rebuilt[name], committed[name], rtol=0, atol=1e-9, err_msg=name)
    assert sorted(obj.name for obj in bpy.data.objects) == committed_objects
    assert sorted(m.name for m in bpy.data.materials) == committed_materials
    assert np.allclose(np.array(bpy.data.objects[CAMERA_OBJECT].matrix_world), camera)


def test_the_template_has_brows_above_each_eye_and_lash_lines() -> None:
    from core.face.details import BROW_COLOUR, brow_mask, detail_texture
    from core.face.model import FaceModel

    face = FaceModel.load()
    image, corner, side = detail_texture(face, 256)
    assert image.shape == (256, 256, 4) and 0.0 < side <= 1.0
    assert np.allclose(image[..., :3], BROW_COLOUR)
    assert (image[..., 3] > 0.5).sum() > 200  # drawn, and not a speck
    for eye in ("left", "right"):
        centre = face.neutral[face.regions[f"eye_{eye}"]].mean(axis=0)
        above = centre + np.array([0.0, -0.01, 0.02])
        below = centre + np.array([0.0, -0.01, -0.02])
        # The brow sits ~2 cm over the eye, on the face's side of that eye only.
        assert brow_mask(above[None], centre)[0] > 0.9
        assert brow_mask(below[None], centre)[0] == 0.0
        assert brow_mask((above * [-1, 1, 1])[None], centre)[0] == 0.0


WORKBENCH_FRAME = """
import sys, bpy
bpy.ops.wm.open_mainfile(filepath=sys.argv[1])
scene = bpy.context.scene
scene.render.engine = "BLENDER_WORKBENCH"  # with the template's own Workbench shading
scene.render.resolution_x = scene.render.resolution_y = int(sys.argv[3])
scene.render.image_settings.file_format = "PNG"
scene.render.filepath = sys.argv[2]
bpy.ops.render.render(write_still=True)
"""


def _pixel(scene, camera, point: np.ndarray, size: int) -> tuple[int, int]:
    from bpy_extras.object_utils import world_to_camera_view
    from mathutils import Vector

    x, y, _ = world_to_camera_view(scene, camera, Vector(point.tolist()))
    return int(np.floor((1.0 - y) * size)), int(np.floor(x * size))  # (row, column)


def _patch(image: np.ndarray, row_col: tuple[int, int]) -> np.ndarray:
    row, col = row_col
    return image[row - 1 : row + 2, col - 1 : col + 2].reshape(-1, 3).mean(axis=0)


def test_workbench_shows_white_eyes_with_an_iris_and_dark_brows(face: FaceModel, tmp_path):
    """Workbench (the quick preview) shows a person: sclera, iris, pupil, brows on skin."""
    import subprocess
    import sys

    from PIL import Image

    from core.face.albedo import IRIS_RADIUS, eye_sphere
    from core.face.details import brow_mask

    size = 512
    frame = tmp_path / "workbench.png"
    done = subprocess.run(
        [sys.executable, "-c", WORKBENCH_FRAME, str(TEMPLATE_PATH), str(frame), str(size)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode < 0 and not frame.is_file():
        pytest.skip(f"Workbench needs OpenGL (Mesa EGL) and aborted here: {done.returncode}")
    assert done.returncode == 0 and frame.is_file(), done.stderr[-2000:]
    image = np.asarray(Image.open(frame).convert("RGB"), dtype=np.float64) / 255.0

    open_template(TEMPLATE_PATH)
    scene = bpy.context.scene
    camera = scene.camera
    skin = face.neutral[face.regions["skin"]].astype(np.float64)
    for side in ("left", "right"):
        centre, radius = eye_sphere(face, side)

        def on_eye(across: float, centre=centre, radius=radius) -> np.ndarray:
            return centre + np.array([across, -np.sqrt(radius**2 - across**2), 0.0])

        pupil = _patch(image, _pixel(scene, camera, on_eye(0.0), size))
        iris = _patch(image, _pixel(scene, camera, on_eye(0.6 * IRIS_RADIUS), size))
        # The sclera just outside the limbal ring, both sides of the iris: light and grey.
        beside = [on_eye(s * (IRIS_RADIUS + 0.0017)) for s in (-1, 1)]
        sclera = [_patch(image, _pixel(scene, camera, point, size)) for point in beside]
        assert all(p.min() > 0.45 and np.ptp(p) < 0.08 for p in sclera), (side, sclera)
        assert pupil.max() < 0.3, (side, pupil)
        assert iris[0] > iris[2] + 0.05 and 0.2 < iris.mean() < 0.75, (side, iris)  # brown
    middle = skin[(np.abs(skin[:, 0]) < 0.01) & (np.abs(skin[:, 2] - centre[2] - 0.045) < 0.005)]
    forehead = _patch(image, _pixel(scene, camera, middle[np.argmin(middle[:, 1])], size))
    for side in ("left", "right"):
        # The middle of the brow: the skin vertex fully under it nearest their centroid.
        under = skin[brow_mask(skin, eye_sphere(face, side)[0]) > 0.95]
        brow = under[np.argmin(np.linalg.norm(under - under.mean(axis=0), axis=1))]
        darkness = _patch(image, _pixel(scene, camera, brow, size)).mean()
        assert darkness < 0.5 * forehead.mean(), (side, darkness, forehead)
    assert forehead[0] > forehead[2] and forehead.mean() > 0.4  # lit skin, warm


def test_workbench_albedo_is_an_unlinked_active_node_on_its_own_uv_map() -> None:
    """Workbench reads the active UV map and image node; Cycles must read neither."""
    from core.blend_template import ALBEDO_IMAGE, ALBEDO_UV

    open_template(TEMPLATE_PATH)
    mesh = bpy.data.objects[HEAD_OBJECT].data
    assert mesh.uv_layers.active.name == ALBEDO_UV
    assert [layer.name for layer in mesh.uv_layers if layer.active_render] == ["UVMap"]
    image = bpy.data.images[ALBEDO_IMAGE]
    assert image.packed_file is not None and tuple(image.size) == (2048, 2048)
    shading = bpy.context.scene.display.shading
    assert (shading.light, shading.color_type) == ("STUDIO", "TEXTURE")
    for material in {slot for slot in mesh.materials}:
        tree = material.node_tree
        active = tree.nodes.active
        assert active.type == "TEX_IMAGE" and active.image == image, material.name
        assert not any(output.is_linked for output in active.outputs), material.name
        for node in tree.nodes:
            if node.type == "UVMAP":
                assert node.uv_map == "UVMap", material.name  # never the default map
            if node.type == "TEX_IMAGE" and node.name != active.name:
                assert node.inputs["Vector"].is_linked, material.name


def test_the_cycles_look_is_the_committed_preview(tmp_path) -> None:
    """The renderer is trained on Cycles renders of this template: its look is fixed."""
    from PIL import Image

    from core.blend_template import render_preview

    committed = TEMPLATE_PATH.with_name("musicface_head_preview.png")
    rendered = render_preview(TEMPLATE_PATH, tmp_path / "preview.png")
    new = np.asarray(Image.open(rendered).convert("RGB"), dtype=np.float64)
    old = np.asarray(Image.open(committed).convert("RGB"), dtype=np.float64)
    assert new.shape == old.shape
    assert np.abs(new - old).mean() < 0.5  # of 255: the same image but for noise
