"""MusicFace engine: song → singing face Performance (no bpy here, see DESIGN.md)."""

__version__ = "0.1.0"
