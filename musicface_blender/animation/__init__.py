"""Writing a Performance as keyframes, organised by what is animated (like glTF-Blender-IO)."""
