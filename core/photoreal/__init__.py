"""The photoreal pass: guidance rasterised in torch from the Anny head, a neural texture
and a U-Net that turn it into frames of a person (DESIGN "Photoreal pass").

    camera.py      the template's camera (and a fitted focal length for footage)
    head.py        FaceModel in torch: posed vertices and normals, differentiable
    rasterize.py   triangles -> per-pixel face index and barycentrics, in torch
    guidance.py    UV, normals, depth, eye and mouth masks, eye attention per pixel
    network.py     the neural texture and the U-Net (PhotorealRenderer)
    renderer_file.py  save and load a trained renderer (weights_only)
    render_video.py   a Performance -> an mp4 with the song, labelled AI-generated
"""
