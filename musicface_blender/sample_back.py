"""The take as it plays in Blender, back into a Performance (for the photoreal pass).

The artist's edits are the point: the curves are not read from the engine's file but
evaluated by Blender, frame by frame over the scene's range at the scene's fps
(`frame_set`, so F-curve modifiers, NLA strips and drivers count too). What is on
the curves is what renders, so the layer strengths are not divided out; only what
apply.py adds for Blender's sake is undone: the shape-key names map back to the 52
ARKit names (the same matching), and the head pose goes back from the target's own
channels to the Performance's world axes, relative to the rest stored at the first
take (pose_axes.pose_from_channels, the inverse of pose_channels).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import bpy
import numpy as np

from .animation.fcurves import take_fcurves
from .animation.head_pose import REST_PROPERTY, bone_channel_space, object_channel_space
from .animation.shape_keys import shape_key_names
from .core_link import ARKIT_NAMES, BadInput, Performance, match_shape_keys
from .layers import BLINK_NAMES
from .pose_axes import pose_from_channels
from .scene_setup import scene_fps, song_strips


@dataclass
class PoseTarget:
    """Where the head pose lives: an object, or a bone of an armature (None: no pose)."""

    obj: bpy.types.Object | None = None
    bone: str = ""


def take_action(head: bpy.types.Object) -> bpy.types.Action | None:
    """The action that animates the head's shape keys, if it animates any of them."""
    key = getattr(head.data, "shape_keys", None)
    data = key.animation_data if key is not None else None
    if data is None or data.action is None:
        return None
    curves = take_fcurves(data.action, key)
    return data.action if any(c.data_path.startswith("key_blocks") for c in curves) else None


def check_take(head: bpy.types.Object | None) -> bpy.types.Action:
    """The head's take, or one clear line saying why there is nothing to sample."""
    if head is None or head.type != "MESH":
        raise BadInput("Pick a head: a mesh with ARKit shape keys")
    if getattr(head.data, "shape_keys", None) is None:
        raise BadInput(f"{head.name} has no shape keys")
    action = take_action(head)
    if action is None:
        raise BadInput(f"{head.name} has no take to render: generate or capture one first")
    return action


def scene_song(scene: bpy.types.Scene, action: bpy.types.Action | None = None) -> Path | None:
    """The song the take plays to: MusicFace's sound strip, else the one the take recorded
    (a Blender without audio has no strips); None when neither file exists."""
    for strip in song_strips(scene):
        sound = getattr(strip, "sound", None)
        if sound is not None and sound.filepath:
            path = Path(bpy.path.abspath(sound.filepath, library=sound.library)).resolve()
            if path.is_file():
                return path
    recorded = _take_info(action).get("song")
    if recorded and Path(recorded).is_file():
        return Path(recorded)
    return None


def sample_performance(
    scene: bpy.types.Scene, head: bpy.types.Object, pose: PoseTarget | None = None
) -> Performance:
    """The scene's frame range as Blender plays it → a Performance at the scene's fps."""
    action = check_take(head)
    pose = pose or PoseTarget()
    start, end = scene.frame_start, scene.frame_end
    if end < start:
        raise BadInput(f"the scene's frame range is empty ({start}–{end})")
    count = end - start + 1
    blocks = head.data.shape_keys.key_blocks
    matches = match_shape_keys(ARKIT_NAMES, shape_key_names(head))
    columns = [(column, blocks.find(matches[name])) for column, name in enumerate(ARKIT_NAMES)
               if name in matches]  # fmt: skip
    values = np.zeros(len(blocks), dtype=np.float32)
    muted = np.zeros(len(blocks), dtype=bool)
    expression = np.zeros((count, len(ARKIT_NAMES)), dtype=np.float32)
    channels = np.zeros((count, 6), dtype=np.float64)
    rotations = np.zeros((count, 3, 3), dtype=np.float64)
    owner = _channel_owner(pose)
    frame, subframe = scene.frame_current, scene.frame_subframe
    try:
        for row, number in enumerate(range(start, end + 1)):
            scene.frame_set(number)
            blocks.foreach_get("value", values)
            blocks.foreach_get("mute", muted)
            live = np.where(muted, 0.0, values)
            for column, index in columns:
                expression[row, column] = live[index]
            if owner is not None:
                channels[row, :3] = owner.rotation_euler
                channels[row, 3:] = owner.location
                basis = np.array(owner.matrix_basis.to_3x3(), dtype=np.float64)
                rotations[row] = basis / np.linalg.norm(basis, axis=0, keepdims=True)
    finally:
        scene.frame_set(frame, subframe=subframe)
    blink = expression[:, [ARKIT_NAMES.index(name) for name in BLINK_NAMES]].mean(axis=1)
    song = scene_song(scene, action)
    fps = scene_fps(scene)
    meta = {
        "source": "blender",
        "blender": bpy.app.version_string,
        "scene": scene.name,
        "object": head.name,
        "action": action.name,
        "pose_target": _describe(pose),
        "pose_action": _action_name(pose.obj),
        "frame_start": start,
        "frame_end": end,
        "song": str(song) if song is not None else None,
        # Where the song starts on the take's clock (its strip may not start on frame 1).
        "song_offset": _song_offset(scene, fps),
        "missing": [name for name in ARKIT_NAMES if name not in matches],
        "take": _take_info(action),
    }
    return Performance(
        fps=fps,
        expression=np.clip(expression, 0.0, 1.0),
        pose=_world_pose(pose, owner, channels, rotations),
        # The eye state as it plays: all of it in the blink part (the composite's rule,
        # e = e_long where e_long > 0 else e_blink, gives back the same eye curve).
        eye_long=np.zeros(count, dtype=np.float32),
        eye_blink=np.clip(blink, 0.0, 1.0),
        meta=meta,
    )


def _channel_owner(pose: PoseTarget):
    """The object or pose bone whose rotation/location channels carry the head pose."""
    if pose.obj is None:
        return None
    if pose.bone:
        bone = pose.obj.pose.bones.get(pose.bone) if pose.obj.pose is not None else None
        if bone is None:
            raise BadInput(f"Bone '{pose.bone}' not found in {pose.obj.name}")
        return bone
    return pose.obj


def _world_pose(pose: PoseTarget, owner, channels: np.ndarray, rotations: np.ndarray):
    count = len(channels)
    if owner is None:
        return np.zeros((count, 6), dtype=np.float32)
    # Another rotation mode than apply.py's XYZ (the artist changed it): use the matrices.
    rotation = None if owner.rotation_mode == "XYZ" else rotations
    if pose.bone:
        frame, scale = bone_channel_space(pose.obj, pose.bone)
        return pose_from_channels(channels, frame, scale=scale, rotation=rotation)
    frame, scale = object_channel_space(pose.obj)
    if REST_PROPERTY in pose.obj:
        rest = np.asarray(pose.obj[REST_PROPERTY], dtype=np.float64)
    elif _action_name(pose.obj) is None:
        return np.zeros((count, 6), dtype=np.float32)  # never moved: the rest pose throughout
    else:
        # Animated by someone else than MusicFace: no rest was stored, so the first
        # frame's place is the rest (the rotation's rest is the identity).
        rest = np.r_[np.zeros(3), channels[0, 3:]]
    return pose_from_channels(channels, frame, rest[:3], rest[3:], scale, rotation)


def _describe(pose: PoseTarget) -> str | None:
    if pose.obj is None:
        return None
    return f"{pose.obj.name}:{pose.bone}" if pose.bone else pose.obj.name


def _action_name(obj: bpy.types.Object | None) -> str | None:
    data = obj.animation_data if obj is not None else None
    return data.action.name if data is not None and data.action is not None else None


def _song_offset(scene: bpy.types.Scene, fps: float) -> float:
    strips = song_strips(scene)
    return (strips[0].frame_start - scene.frame_start) / fps if strips else 0.0


def _take_info(action: bpy.types.Action | None) -> dict:
    """What apply.py recorded on the take's action (source, song, seed, checkpoint…)."""
    text = action.get("musicface") if action is not None else None
    try:
        info = json.loads(text) if isinstance(text, str) else {}
    except json.JSONDecodeError:
        return {}
    return info if isinstance(info, dict) else {}
