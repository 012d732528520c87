"""The photoreal pass: guidance rasterised in torch from the Anny head, a neural texture
and a U-Net that turn it into frames of a person (DESIGN "Photoreal pass").

    camera.py      the template's camera (and a fitted focal length for footage)
    head.py        FaceModel in torch: posed vertices and normals, differentiable
    rasterize.py   triangles -> per-pixel face index and barycentrics, in torch
    guidance.py    UV, normals, depth, eye and mouth masks, eye attention per pixel
    network.py     the neural texture and the U-Net (PhotorealRenderer)
    renderer_file.py  save and load a trained renderer (weights_only)
    render_video.py   a Performance -> an mp4 with the song, labelled AI-generated
    segments.py       the codec path: fixed segments, joined without a new encode
"""

# What `musicface render --help` and `musicface-train renderer` (its help and its start)
# tell every user.
CONSENT = (
    "A renderer shows the person it was trained on: train one (musicface-train renderer) only "
    "on footage of people who agreed to it. The bundled default is a synthetic identity, and "
    "every video `musicface render` makes is labelled AI-generated."
)
