"""Face model: ARKit names, name matching and the Anny head.

- `arkit`: the 52 ARKit names (Apple order); `names`: match a rig's shape keys to them
  (stdlib only, shared with the Blender add-on).
- `model.FaceModel`: neutral + 52 linear deltas + neck pivot + vertex sets, `vertices()`.
- `anny_head` (builds Anny), `regions`, `pose`, `cache`: its parts.
- `template`: names and path of the Blender head template (built by core/blend_template.py).
"""
