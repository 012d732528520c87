"""Capture from video: a performer's expression, head pose and eyes as a Performance.

`capture_video(path)` is the one entry point; `musicface capture` and
`musicface-train prepare` are thin layers over it.
"""

from core.capture.capture import CaptureResult, capture_video

__all__ = ["CaptureResult", "capture_video"]
