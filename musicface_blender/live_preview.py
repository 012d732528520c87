"""Live frames onto the head without keyframes, the scene put back as it was, and the
frames that arrived written as a take (apply.py: the same action, strip and marker
conventions as a generated take)."""

from __future__ import annotations

from dataclasses import dataclass, field

import bpy
import numpy as np

from .animation.head_pose import REST_PROPERTY, bone_channel_space, object_channel_space
from .animation.shape_keys import shape_key_names
from .apply import TakeResult, TakeSettings, apply_performance
from .core_link import ARKIT_NAMES, Performance, match_shape_keys
from .layers import weighted_expression, weighted_pose
from .pose_axes import pose_channels


def _pose_holder(obj: bpy.types.Object, bone: str):  # noqa: ANN202 - Object | PoseBone
    return obj.pose.bones[bone] if bone else obj


@dataclass
class LivePreview:
    head: bpy.types.Object
    take: TakeSettings
    record: bool = False
    frames: list = field(default_factory=list)  # datagram.LiveFrame, in arrival order
    _saved: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # An earlier take's action would put its keys back on every frame change (and
        # playing the timeline changes frames): it is set aside while Live shows.
        self._actions = []
        for block in (self.head.data.shape_keys, self.take.pose_object):
            data = getattr(block, "animation_data", None)
            if data is not None and data.action is not None:
                slot = getattr(data, "action_slot", None)
                self._actions.append((data, data.action, slot))
                data.action = None
        blocks = self.head.data.shape_keys.key_blocks
        self.keys = match_shape_keys(ARKIT_NAMES, shape_key_names(self.head))
        self.columns = [(ARKIT_NAMES.index(n), blocks[k]) for n, k in self.keys.items()]
        self._saved["keys"] = {k: blocks[k].value for k in self.keys.values()}
        target = self.take.pose_object
        if target is not None:
            holder = _pose_holder(target, self.take.pose_bone)
            self._saved["pose"] = (holder.rotation_mode, tuple(holder.rotation_euler),
                                   tuple(holder.location))  # fmt: skip
            holder.rotation_mode = "XYZ"
            if self.take.pose_bone:
                self._space = (*bone_channel_space(target, self.take.pose_bone), None, None)
            else:
                rest = np.asarray(target.get(REST_PROPERTY, [*holder.rotation_euler,
                                                             *holder.location]))  # fmt: skip
                self._space = (*object_channel_space(target), rest[:3], rest[3:])

    def show(self, frame) -> None:  # noqa: ANN001 - a datagram.LiveFrame
        """The frame on the head and the pose target, as the take would have it."""
        strengths = self.take.strengths
        expression = weighted_expression(frame.expression[None], ARKIT_NAMES,
                                         np.array([frame.eye_long]), strengths)[0]  # fmt: skip
        for column, block in self.columns:
            block.value = float(expression[column])
        target = self.take.pose_object
        if target is not None:
            frame_axes, scale, rest_euler, rest_location = self._space
            pose = weighted_pose(frame.pose[None], strengths)
            channels = pose_channels(pose, frame_axes, rest_euler, rest_location, scale)[0]
            holder = _pose_holder(target, self.take.pose_bone)
            holder.rotation_euler = channels[:3]
            holder.location = channels[3:]
        if self.record:
            self.frames.append(frame)

    def restore(self) -> None:
        """Every value the preview touched, back to what it was before it started."""
        blocks = self.head.data.shape_keys.key_blocks
        for name, value in self._saved["keys"].items():
            blocks[name].value = value
        if "pose" in self._saved and self.take.pose_object is not None:
            mode, rotation, location = self._saved["pose"]
            holder = _pose_holder(self.take.pose_object, self.take.pose_bone)
            holder.rotation_mode = mode
            holder.rotation_euler = rotation
            holder.location = location
        for data, action, slot in self._actions:
            data.action = action
            if slot is not None and data.action_slot != slot:
                data.action_slot = slot
        self._actions.clear()

    def performance(self) -> Performance | None:
        """What arrived as a Performance, a frame at each index from the first to the
        last (a frame that never came holds the one before it); None if nothing came."""
        if not self.frames:
            return None
        first = self.frames[0].index
        count = self.frames[-1].index - first + 1
        slot = np.full(count, -1)
        for n, frame in enumerate(self.frames):
            slot[frame.index - first] = n
        for i in range(1, count):
            if slot[i] < 0:
                slot[i] = slot[i - 1]
        chosen = [self.frames[n] for n in slot]
        return Performance(
            fps=chosen[0].fps,
            expression=np.stack([f.expression for f in chosen]),
            pose=np.stack([f.pose for f in chosen]),
            eye_long=np.array([f.eye_long for f in chosen], np.float32),
            eye_blink=np.array([f.eye_blink for f in chosen], np.float32),
            meta={
                "source": "live",
                "first_frame": first,
                "frames_missing": int(count - len({f.index for f in self.frames})),
            },  # fmt: skip
        )

    def write_take(self, scene: bpy.types.Scene) -> TakeResult | None:
        performance = self.performance()
        if performance is None:
            return None
        return apply_performance(scene, performance, self.head, self.take)
