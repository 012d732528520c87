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
    assert all(np.array_equal(rebuilt[name], committed[name]) for name in committed)
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
