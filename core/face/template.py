"""Names and location of the Blender head template (stdlib only, no bpy).

`musicface build-template` writes the template; `core.blend_template` builds it with
the bpy module. Whoever drives the template (the add-on, `musicface animate`) finds its
parts by these names:

- HEAD_OBJECT: the mesh, with shape keys "Basis" + the 52 ARKit names (Apple order),
  value 0..1 each. Eyes and tongue are part of the same mesh (the eyeLook* keys move
  the eyeballs).
- PIVOT_OBJECT: an empty at the neck pivot (base of the neck, the world origin), the
  head's parent. Head pose = this empty's `rotation_euler` (mode 'XYZ', radians) and
  `location` (metres), exactly the Performance's pose columns rx, ry, rz, tx, ty, tz.
- CAMERA_OBJECT: the scene camera, framing the face.
"""

from __future__ import annotations

from pathlib import Path

HEAD_OBJECT = "MusicFace_Head"
PIVOT_OBJECT = "MusicFace_NeckPivot"
CAMERA_OBJECT = "MusicFace_Camera"
BASIS_KEY = "Basis"

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "blend_templates" / "musicface_head.blend"
