"""Training the photoreal renderer (core/photoreal) on one identity's frames.

targets.py   frames + the curves and camera that made them (synthetic or footage)
fit.py       footage: camera, shape and per-frame pose by landmark reprojection
losses.py    L1 and MS-SSIM weighted toward mouth and eyes, a patch GAN
train.py     the loop: hold out the last 10 %, train, checkpoint, resume, report
"""
