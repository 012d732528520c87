"""Face model: ARKit names, name matching and the Anny head."""
