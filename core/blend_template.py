"""Build the MusicFace head template .blend headlessly with the bpy module.

The scene: an empty at the neck pivot (the head pose lives on it), the head mesh
parented to it with a Basis and the 52 ARKit shape keys, skin/eye/mouth materials, a
camera framing the face and three area lights. Everything comes from FaceModel, so the
template and the engine's vertices agree to float precision.

This module imports bpy: load it only where a .blend is made (see core/face/template.py
for the object names, which need no bpy).
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import bpy  # noqa: I001  (bpy before anything that may import mathutils)
import mathutils
import numpy as np

from core.errors import BadInput
from core.face.albedo import (
    ALBEDO_SIZE,
    EYE_RAMP,
    EYE_SOCKET,
    IRIS_RADIUS,
    LIPS,
    MOUTH,
    SKIN,
    TONGUE,
    atlas_uvs,
    paint_albedo,
)
from core.face.arkit import ARKIT_NAMES
from core.face.details import detail_texture
from core.face.model import FaceModel
from core.face.regions import PART_NAMES
from core.face.template import BASIS_KEY, CAMERA_OBJECT, HEAD_OBJECT, PIVOT_OBJECT
from core.photoreal.camera import DISTANCE_M, LENS_MM, SENSOR_MM, face_centre
from core.progress import ProgressFn, no_progress

RENDER_SIZE = 1024
LIP_MASK_ATTRIBUTE = "musicface_lip_mask"
DETAIL_IMAGE = "MusicFace_BrowsLashes"
DETAIL_SIZE = 1024
# Workbench's look (core/face/albedo.py): one painted image over its own UV map, the
# active one (Workbench reads it); Cycles reads "UVMap" by name and never this one.
ALBEDO_IMAGE = "MusicFace_Albedo"
ALBEDO_UV = "MusicFace_Albedo"


def _flush_c_stdio() -> None:
    """C stdio buffers when stdout is a pipe: flush it while it still points at stderr."""
    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, TypeError, AttributeError):
        pass  # No C library handle here (Windows): Blender's lines may land on stdout.


@contextlib.contextmanager
def blender_output_to_stderr() -> Iterator[None]:
    """Send what Blender prints (render stats, "Saved: ...", operator reports, which go
    through C stdio and Python's sys.stdout) to stderr, so stdout stays clean for
    `--progress json`. Report progress outside this block."""
    sys.stdout.flush()
    saved = os.dup(1)
    python_stdout = sys.stdout
    try:
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        yield
    finally:
        sys.stdout = python_stdout
        _flush_c_stdio()
        os.dup2(saved, 1)
        os.close(saved)


def build_template(face: FaceModel, out: Path, progress: ProgressFn = no_progress) -> Path:
    """Write the template to `out` (compressed .blend) and return the path."""
    out = Path(out)
    if out.suffix != ".blend":
        raise BadInput(f"the template must be a .blend file, got {out}")
    progress("template", 0.0)
    with blender_output_to_stderr():
        bpy.ops.wm.read_factory_settings(use_empty=True)
        scene = bpy.context.scene
        scene.name = "MusicFace"
        pivot = _add_pivot(scene, face)
        head = _add_head(scene, face, pivot)
    progress("template", 0.3)
    with blender_output_to_stderr():
        _add_shape_keys(head, face)
    progress("template", 0.6)
    with blender_output_to_stderr():
        _add_materials(head, face)
        _add_camera(scene, face)
        _add_lights(scene, face)
        _configure_render(scene)
        out.parent.mkdir(parents=True, exist_ok=True)
        # No "head.blend1" backup of the previous template beside the new one.
        bpy.context.preferences.filepaths.save_version = 0
        bpy.ops.wm.save_as_mainfile(filepath=str(out), compress=True, relative_remap=False)
    progress("template", 1.0)
    return out


def _add_pivot(scene: bpy.types.Scene, face: FaceModel) -> bpy.types.Object:
    pivot = bpy.data.objects.new(PIVOT_OBJECT, None)
    pivot.empty_display_type = "ARROWS"
    pivot.empty_display_size = 0.05
    pivot.location = tuple(float(c) for c in face.neck_pivot)
    pivot.rotation_mode = "XYZ"
    scene.collection.objects.link(pivot)
    return pivot


def _add_head(scene: bpy.types.Scene, face: FaceModel, pivot: bpy.types.Object) -> bpy.types.Object:
    mesh = bpy.data.meshes.new(HEAD_OBJECT)
    # Vertices are stored relative to the pivot, so the parented head sits where
    # FaceModel puts it and rotating the pivot turns the head about the neck.
    local = face.neutral - face.neck_pivot
    mesh.from_pydata(local.tolist(), [], face.triangles.tolist())
    uv_layer = mesh.uv_layers.new(name="UVMap")
    uv_layer.data.foreach_set("uv", face.corner_uvs.reshape(-1).astype(np.float32))
    albedo_uv = mesh.uv_layers.new(name=ALBEDO_UV)
    albedo_uv.data.foreach_set("uv", atlas_uvs(face).reshape(-1))
    mesh.uv_layers.active = albedo_uv
    uv_layer.active_render = True
    mesh.polygons.foreach_set("material_index", face.face_parts.astype(np.int32))
    lip_mask = np.zeros(face.n_vertices, dtype=np.float32)
    lip_mask[face.regions["lips"]] = 1.0
    attribute = mesh.attributes.new(LIP_MASK_ATTRIBUTE, "FLOAT", "POINT")
    attribute.data.foreach_set("value", lip_mask)
    mesh.shade_smooth()
    mesh.validate()
    mesh.update()
    head = bpy.data.objects.new(HEAD_OBJECT, mesh)
    scene.collection.objects.link(head)
    head.parent = pivot
    return head


def _add_shape_keys(head: bpy.types.Object, face: FaceModel) -> None:
    head.shape_key_add(name=BASIS_KEY, from_mix=False)
    local = face.neutral - face.neck_pivot
    for index, name in enumerate(ARKIT_NAMES):
        key = head.shape_key_add(name=name, from_mix=False)
        key.data.foreach_set("co", (local + face.deltas[index]).reshape(-1).astype(np.float32))
        key.slider_min, key.slider_max, key.value = 0.0, 1.0, 0.0
    head.data.shape_keys.name = f"{HEAD_OBJECT}_Keys"
    head.data.shape_keys.use_relative = True


def _new_material(name: str) -> tuple[bpy.types.Material, bpy.types.Node, bpy.types.NodeTree]:
    material = bpy.data.materials.new(name)
    material.use_nodes = True
    tree = material.node_tree
    bsdf = next(node for node in tree.nodes if node.type == "BSDF_PRINCIPLED")
    return material, bsdf, tree


def _ramp(tree: bpy.types.NodeTree, stops: list[tuple[float, tuple[float, float, float]]]):
    ramp = tree.nodes.new("ShaderNodeValToRGB")
    elements = ramp.color_ramp.elements
    while len(elements) < len(stops):
        elements.new(0.5)
    for element, (position, color) in zip(elements, stops, strict=True):
        element.position = position
        element.color = (*color, 1.0)
    return ramp


def _detail_image(detail: tuple[np.ndarray, np.ndarray, float]) -> bpy.types.Image:
    """Brows and lash lines (core/face/details.py) as a packed image in the .blend."""
    image = bpy.data.images.new(DETAIL_IMAGE, DETAIL_SIZE, DETAIL_SIZE, alpha=True)
    image.pixels.foreach_set(detail[0].ravel())
    image.pack()
    return image


def _albedo_image(face: FaceModel, detail: tuple[np.ndarray, np.ndarray, float]):
    """The whole look painted over the atlas UVs (core/face/albedo.py), packed."""
    image = bpy.data.images.new(ALBEDO_IMAGE, ALBEDO_SIZE, ALBEDO_SIZE, alpha=False)
    image.pixels.foreach_set(paint_albedo(face, detail, ALBEDO_SIZE).ravel())
    image.pack()
    return image


def _show_in_workbench(material: bpy.types.Material, image: bpy.types.Image) -> None:
    """The albedo as the material's active image node, linked to nothing: Workbench's
    TEXTURE colour shows it, and Cycles (which only follows links) never reads it."""
    tree = material.node_tree
    node = tree.nodes.new("ShaderNodeTexImage")
    node.name = node.label = "Workbench albedo"
    node.image = image
    node.location = (-900.0, 400.0)
    for other in tree.nodes:
        other.select = False
    node.select = True
    tree.nodes.active = node


def _skin_material(detail: tuple[np.ndarray, np.ndarray, float]) -> bpy.types.Material:
    """A clean procedural skin: SSS, fine pore bump, lips tinted by the lip mask, brows
    and lash lines from a small texture over the eyes (mapped from the head's UVs)."""
    material, bsdf, tree = _new_material("MusicFace_Skin")
    attribute = tree.nodes.new("ShaderNodeAttribute")
    attribute.attribute_name = LIP_MASK_ATTRIBUTE
    attribute.attribute_type = "GEOMETRY"
    ramp = _ramp(tree, [(0.0, SKIN), (1.0, LIPS)])
    tree.links.new(attribute.outputs["Fac"], ramp.inputs["Fac"])
    image = _detail_image(detail)
    _, corner, side = detail
    uv = tree.nodes.new("ShaderNodeUVMap")
    uv.uv_map = "UVMap"
    shift = tree.nodes.new("ShaderNodeVectorMath")
    shift.operation = "SUBTRACT"
    shift.inputs[1].default_value = (float(corner[0]), float(corner[1]), 0.0)
    scale = tree.nodes.new("ShaderNodeVectorMath")
    scale.operation = "SCALE"
    scale.inputs["Scale"].default_value = 1.0 / side
    texture = tree.nodes.new("ShaderNodeTexImage")
    texture.image = image
    texture.extension = "CLIP"
    mix = tree.nodes.new("ShaderNodeMixRGB")
    tree.links.new(uv.outputs["UV"], shift.inputs[0])
    tree.links.new(shift.outputs["Vector"], scale.inputs[0])
    tree.links.new(scale.outputs["Vector"], texture.inputs["Vector"])
    tree.links.new(texture.outputs["Alpha"], mix.inputs["Fac"])
    tree.links.new(ramp.outputs["Color"], mix.inputs["Color1"])
    tree.links.new(texture.outputs["Color"], mix.inputs["Color2"])
    tree.links.new(mix.outputs["Color"], bsdf.inputs["Base Color"])
    material.diffuse_color = (*SKIN, 1.0)
    bsdf.inputs["Roughness"].default_value = 0.5
    bsdf.inputs["Subsurface Weight"].default_value = 0.2
    bsdf.inputs["Subsurface Radius"].default_value = (1.0, 0.35, 0.2)
    bsdf.inputs["Subsurface Scale"].default_value = 0.004
    coordinates = tree.nodes.new("ShaderNodeTexCoord")
    noise = tree.nodes.new("ShaderNodeTexNoise")
    noise.inputs["Scale"].default_value = 900.0
    noise.inputs["Detail"].default_value = 4.0
    bump = tree.nodes.new("ShaderNodeBump")
    bump.inputs["Strength"].default_value = 0.08
    bump.inputs["Distance"].default_value = 0.0005
    tree.links.new(coordinates.outputs["Object"], noise.inputs["Vector"])
    tree.links.new(noise.outputs["Fac"], bump.inputs["Height"])
    tree.links.new(bump.outputs["Normal"], bsdf.inputs["Normal"])
    return material


def _eye_uv_frame(face: FaceModel, side: str) -> tuple[np.ndarray, np.ndarray]:
    """UV of the eyeball's front pole and the 2x2 map from UV offsets to metres on the
    tangent plane there (the eye's UVs are a planar projection of its front)."""
    index = face.regions[f"eye_{side}"]
    points = face.neutral[index].astype(np.float64)
    # Least-squares sphere: |p|^2 = 2 p.c + (r^2 - |c|^2).
    system = np.c_[2 * points, np.ones(len(points))]
    centre = np.linalg.lstsq(system, (points**2).sum(1), rcond=None)[0][:3]
    part = PART_NAMES.index(f"eye_{side}")
    corners = face.triangles[face.face_parts == part].reshape(-1)
    uvs = face.corner_uvs[face.face_parts == part].reshape(-1, 2).astype(np.float64)
    offsets = face.neutral[corners].astype(np.float64) - centre
    angle = np.arccos(np.clip(-offsets[:, 1] / np.linalg.norm(offsets, axis=1), -1, 1))
    front = angle < math.radians(45)
    fit_input = np.c_[offsets[front][:, [0, 2]], np.ones(front.sum())]
    fit = np.linalg.lstsq(fit_input, uvs[front], rcond=None)[0]
    uv_pole = fit[2]
    uv_to_metres = np.linalg.inv(fit[:2].T)
    return uv_pole, uv_to_metres


def _eye_material(face: FaceModel, side: str) -> bpy.types.Material:
    """Pupil, iris, limbal ring and sclera drawn from the distance to the front pole."""
    material, bsdf, tree = _new_material(f"MusicFace_Eye_{side.capitalize()}")
    uv_pole, uv_to_metres = _eye_uv_frame(face, side)
    uv = tree.nodes.new("ShaderNodeUVMap")
    uv.uv_map = "UVMap"
    offset = tree.nodes.new("ShaderNodeVectorMath")
    offset.operation = "SUBTRACT"
    offset.inputs[1].default_value = (float(uv_pole[0]), float(uv_pole[1]), 0.0)
    tree.links.new(uv.outputs["UV"], offset.inputs[0])
    combine = tree.nodes.new("ShaderNodeCombineXYZ")
    for row, axis in enumerate("XY"):
        dot = tree.nodes.new("ShaderNodeVectorMath")
        dot.operation = "DOT_PRODUCT"
        dot.inputs[1].default_value = (*(float(v) for v in uv_to_metres[row]), 0.0)
        tree.links.new(offset.outputs["Vector"], dot.inputs[0])
        tree.links.new(dot.outputs["Value"], combine.inputs[axis])
    length = tree.nodes.new("ShaderNodeVectorMath")
    length.operation = "LENGTH"
    tree.links.new(combine.outputs["Vector"], length.inputs[0])
    scale = tree.nodes.new("ShaderNodeMath")
    scale.operation = "DIVIDE"
    scale.inputs[1].default_value = IRIS_RADIUS
    tree.links.new(length.outputs["Value"], scale.inputs[0])
    ramp = _ramp(tree, list(EYE_RAMP))
    ramp.color_ramp.interpolation = "LINEAR"
    material.diffuse_color = (*EYE_RAMP[-1][1], 1.0)  # the sclera, in the viewport
    tree.links.new(scale.outputs["Value"], ramp.inputs["Fac"])
    tree.links.new(ramp.outputs["Color"], bsdf.inputs["Base Color"])
    bsdf.inputs["Roughness"].default_value = 0.08
    bsdf.inputs["Coat Weight"].default_value = 0.6
    bsdf.inputs["Coat Roughness"].default_value = 0.02
    return material


def _plain_material(name: str, color: tuple[float, float, float], roughness: float):
    material, bsdf, _ = _new_material(name)
    bsdf.inputs["Base Color"].default_value = (*color, 1.0)
    bsdf.inputs["Roughness"].default_value = roughness
    material.diffuse_color = (*color, 1.0)
    return material


def _add_materials(head: bpy.types.Object, face: FaceModel) -> None:
    """One slot per PART_NAMES entry, in order, matching the face_parts codes."""
    detail = detail_texture(face, DETAIL_SIZE)
    by_part = {
        "skin": _skin_material(detail),
        "mouth_cavity": _plain_material("MusicFace_Mouth", MOUTH, 0.35),
        "tongue": _plain_material("MusicFace_Tongue", TONGUE, 0.3),
        "eye_socket_left": _plain_material("MusicFace_EyeSocket", EYE_SOCKET, 0.4),
        "eye_left": _eye_material(face, "left"),
        "eye_right": _eye_material(face, "right"),
    }
    by_part["eye_socket_right"] = by_part["eye_socket_left"]
    albedo = _albedo_image(face, detail)
    for material in {id(m): m for m in by_part.values()}.values():
        _show_in_workbench(material, albedo)
    for part in PART_NAMES:
        head.data.materials.append(by_part[part])


def _look_at(obj: bpy.types.Object, target: tuple[float, float, float]) -> None:
    direction = mathutils.Vector(target) - obj.location
    obj.rotation_euler = direction.to_track_quat("-Z", "Y").to_euler()


def _face_centre(face: FaceModel) -> tuple[float, float, float]:
    # The same point the photoreal renderer's camera aims at (core/photoreal/camera.py).
    return face_centre(face.neutral, face.regions["skin"], face.regions["lips"])


def _add_camera(scene: bpy.types.Scene, face: FaceModel) -> None:
    camera_data = bpy.data.cameras.new(CAMERA_OBJECT)
    camera_data.lens = LENS_MM
    camera_data.sensor_width = SENSOR_MM
    camera_data.clip_start = 0.01
    camera = bpy.data.objects.new(CAMERA_OBJECT, camera_data)
    centre = _face_centre(face)
    camera.location = (centre[0], centre[1] - DISTANCE_M, centre[2])
    _look_at(camera, centre)
    scene.collection.objects.link(camera)
    scene.camera = camera


def _add_lights(scene: bpy.types.Scene, face: FaceModel) -> None:
    centre = _face_centre(face)
    # Key (camera left, above), fill (camera right), rim (behind): a portrait setup.
    for name, offset, power, size in (
        ("MusicFace_Key", (0.45, -0.6, 0.35), 10.0, 0.6),
        ("MusicFace_Fill", (-0.6, -0.45, 0.05), 5.0, 0.8),
        ("MusicFace_Rim", (-0.3, 0.5, 0.4), 9.0, 0.4),
    ):
        light_data = bpy.data.lights.new(name, "AREA")
        light_data.energy = power
        light_data.size = size
        light = bpy.data.objects.new(name, light_data)
        light.location = tuple(c + o for c, o in zip(centre, offset, strict=True))
        _look_at(light, centre)
        scene.collection.objects.link(light)
    world = bpy.data.worlds.new("MusicFace_World")
    world.use_nodes = True
    background = world.node_tree.nodes["Background"]
    background.inputs["Color"].default_value = (0.045, 0.05, 0.06, 1.0)
    background.inputs["Strength"].default_value = 1.0
    scene.world = world


def _configure_render(scene: bpy.types.Scene) -> None:
    scene.render.engine = "CYCLES"
    # Workbench (a quick preview): the albedo image under studio light.
    scene.display.shading.light = "STUDIO"
    scene.display.shading.color_type = "TEXTURE"
    scene.cycles.device = "CPU"
    scene.cycles.samples = 128
    scene.cycles.use_denoising = True
    scene.render.resolution_x = RENDER_SIZE
    scene.render.resolution_y = RENDER_SIZE
    scene.render.resolution_percentage = 100
    scene.render.fps = 30
    scene.frame_start = 1
    scene.frame_end = 1


# --- preview -----------------------------------------------------------------------

PREVIEW_STATES: tuple[tuple[str, dict[str, float], tuple[float, float, float]], ...] = (
    ("neutral", {}, (0.0, 0.0, 0.0)),
    ("jawOpen", {"jawOpen": 1.0}, (0.0, 0.0, 0.0)),
    ("mouthSmile", {"mouthSmileLeft": 1.0, "mouthSmileRight": 1.0}, (0.0, 0.0, 0.0)),
    ("eyeBlink", {"eyeBlinkLeft": 1.0, "eyeBlinkRight": 1.0}, (0.0, 0.0, 0.0)),
    ("turned", {}, (0.1, 0.0, 0.45)),
)


def render_preview(
    template: Path,
    out: Path,
    size: int = 256,
    samples: int = 16,
    progress: ProgressFn = no_progress,
) -> Path:
    """Render PREVIEW_STATES side by side with Cycles on the CPU into one PNG."""
    from PIL import Image, ImageDraw

    tiles = _render_tiles(template, size, samples, progress)
    sheet = Image.new("RGB", (size * len(tiles), size + 20), (20, 20, 24))
    draw = ImageDraw.Draw(sheet)
    for column, (label, tile) in enumerate(tiles):
        sheet.paste(tile, (column * size, 20))
        draw.text((column * size + 6, 4), label, fill=(230, 230, 230))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return out


def _render_tiles(template: Path, size: int, samples: int, progress: ProgressFn) -> list:
    from PIL import Image

    with blender_output_to_stderr():
        bpy.ops.wm.open_mainfile(filepath=str(template))
    scene = bpy.context.scene
    scene.render.resolution_x = scene.render.resolution_y = size
    scene.cycles.samples = samples
    scene.cycles.device = "CPU"
    scene.render.image_settings.file_format = "PNG"
    head = bpy.data.objects[HEAD_OBJECT]
    pivot = bpy.data.objects[PIVOT_OBJECT]
    keys = head.data.shape_keys.key_blocks
    tiles = []
    with tempfile.TemporaryDirectory() as scratch:
        for number, (label, values, rotation) in enumerate(PREVIEW_STATES):
            for key in keys[1:]:
                key.value = values.get(key.name, 0.0)
            pivot.rotation_euler = rotation
            scene.render.filepath = str(Path(scratch) / f"{number}.png")
            with blender_output_to_stderr():
                bpy.ops.render.render(write_still=True)
            with Image.open(scene.render.filepath) as tile:
                tiles.append((label, tile.convert("RGB")))
            progress("preview", (number + 1) / len(PREVIEW_STATES))
    return tiles
