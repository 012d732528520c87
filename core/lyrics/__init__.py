"""The user's lyrics, aligned to the song's separated vocal stream (`musicface align`), and
the mouth shapes of the phones sung (`musicface generate --lyrics`)."""
