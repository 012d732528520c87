"""Live mode: sound in blocks → a face frame per video frame, sent as UDP datagrams.

sources.py (a file at real-time pace, a sound device) → separation.py (the two
streams) → face.py (generate's stages, fed only what has been heard, with a lookahead
of at most 150 ms) → datagram.py (the wire format) → sender.py; record.py keeps the
take; session.py is the loop. docs/live.md describes the format and the measures.
"""
