"""A preview video of a take: the scene's camera, the song's audio, one .mp4.

Blender's own FFmpeg writer encodes H.264 and muxes the sequencer's sound strip
as AAC, so no extra tool is needed. Cycles renders anywhere (CPU); Workbench and
EEVEE need an OpenGL context (Mesa EGL when headless) and abort the whole process
without one, so callers run those only in a subprocess (see scripts/demo.py).
"""

from __future__ import annotations

import math
from pathlib import Path

import bpy

from .core_link import HEAD_OBJECT, BadInput, MusicFaceError
from .headless import blender_error, exit_now, open_blend, run_job

ENGINES = {
    "cycles": "CYCLES",
    "workbench": "BLENDER_WORKBENCH",
    # EEVEE's id changed in 5.0.
    "eevee": "BLENDER_EEVEE" if bpy.app.version >= (5, 0, 0) else "BLENDER_EEVEE_NEXT",
}


def ensure_camera(scene: bpy.types.Scene, head: bpy.types.Object) -> bpy.types.Object:
    """The scene camera, or a new one framing `head` from the front (the face looks along −Y)."""
    if scene.camera is not None:
        return scene.camera
    corners = [head.matrix_world @ _vector(corner) for corner in head.bound_box]
    centre = sum(corners, _vector((0, 0, 0))) / 8
    size = max((c - centre).length for c in corners)
    data = bpy.data.cameras.new("MusicFace_PreviewCamera")
    data.lens = 85.0
    camera = bpy.data.objects.new("MusicFace_PreviewCamera", data)
    distance = 2.2 * size / math.tan(data.angle / 2)
    camera.location = (centre.x, centre.y - distance, centre.z)
    camera.rotation_euler = (math.pi / 2, 0.0, 0.0)
    scene.collection.objects.link(camera)
    scene.camera = camera
    return camera


def _vector(values):
    from mathutils import Vector

    return Vector(values)


def _viewport_colors_from_nodes() -> None:
    """Workbench shows a material's active image node (the template's painted albedo, a
    character's own texture), else its viewport colour, never its nodes: for materials
    without an image, copy the base colour over (from a colour ramp feeding it, its first
    stop) so that a head's parts still differ."""
    for material in bpy.data.materials:
        tree = material.node_tree
        bsdf = next((n for n in tree.nodes if n.type == "BSDF_PRINCIPLED"), None) if tree else None
        active = tree.nodes.active if tree else None
        if bsdf is None or (active is not None and active.type == "TEX_IMAGE" and active.image):
            continue
        socket = bsdf.inputs["Base Color"]
        color = socket.default_value
        # Through a colour mix (the template's brows over its skin), the mix's first input.
        while socket.is_linked and socket.links[0].from_node.type == "MIX_RGB":
            socket = socket.links[0].from_node.inputs["Color1"]
            color = socket.default_value
        if socket.is_linked and socket.links[0].from_node.type == "VALTORGB":
            color = socket.links[0].from_node.color_ramp.elements[0].color
        material.diffuse_color = tuple(color)


def configure_video(
    scene: bpy.types.Scene,
    out: Path,
    engine: str = "cycles",
    size: int = 256,
    samples: int = 8,
) -> None:
    render = scene.render
    render.engine = ENGINES[engine]
    if engine == "cycles":
        scene.cycles.device = "CPU"
        scene.cycles.samples = samples
        scene.cycles.use_denoising = False
        render.use_persistent_data = True  # the mesh is synced once, not every frame
    elif engine == "workbench":
        shading = scene.display.shading
        shading.light, shading.color_type = "STUDIO", "TEXTURE"
        _viewport_colors_from_nodes()
    render.resolution_x = render.resolution_y = size
    render.resolution_percentage = 100
    # The camera's view of the take, even when the sequencer holds a picture (a photoreal
    # strip): with its strips on, Blender would render those instead.
    render.use_sequencer = False
    settings = render.image_settings
    if hasattr(settings, "media_type"):  # 5.0: video is its own media type
        settings.media_type = "VIDEO"
    settings.file_format = "FFMPEG"
    render.ffmpeg.format = "MPEG4"
    render.ffmpeg.codec = "H264"
    render.ffmpeg.constant_rate_factor = "MEDIUM"
    render.ffmpeg.audio_codec = "AAC"
    render.ffmpeg.audio_channels = "STEREO"
    render.use_file_extension = False
    render.filepath = str(out)


def render_video(
    scene: bpy.types.Scene,
    head: bpy.types.Object,
    out: Path,
    engine: str = "cycles",
    size: int = 256,
    samples: int = 8,
) -> Path:
    """Render the frame range with the song's audio into `out` (.mp4)."""
    out = Path(out).resolve()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise BadInput(f"cannot write {out}: {err.strerror or err}") from err
    ensure_camera(scene, head)
    configure_video(scene, out, engine, size, samples)
    try:
        bpy.ops.render.render(animation=True, scene=scene.name)
    except RuntimeError as err:
        raise MusicFaceError(f"preview render failed ({engine}): {blender_error(err)}") from err
    if not out.is_file():
        raise MusicFaceError(f"preview render failed ({engine}): no video at {out}")
    return out


def main(argv: list[str] | None = None) -> int:
    """`python -m musicface_blender.render scene.blend out.mp4 [--engine …]`: render a saved
    take in its own process (the safe way to use Workbench/EEVEE headless)."""
    import argparse

    parser = argparse.ArgumentParser(prog="musicface_blender.render")
    parser.add_argument("blend", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--engine", choices=sorted(ENGINES), default="cycles")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--head", default=HEAD_OBJECT, help="the object the camera frames")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    args = parser.parse_args(argv)
    return run_job(lambda: render_saved_take(args), args.debug)


def render_saved_take(args) -> int:
    open_blend(args.blend)
    head = bpy.data.objects.get(args.head)
    if head is None:
        raise BadInput(f"no object {args.head!r} in {args.blend}")
    render_video(bpy.context.scene, head, args.out, args.engine, args.size, args.samples)
    return 0


if __name__ == "__main__":
    exit_now(main())
