"""Many songs through generate, the .blend and the photoreal render, on a Dask cluster.

    songs.py     which songs, and each one's folder under OUT_DIR
    settings.py  the options, checked once, and each output's fingerprint
    record.py    a song's record.json: what is finished, so that a rerun resumes
    tasks.py     the engine's functions as the workers run them
    cluster.py   a LocalCluster sized to the machine, or an existing scheduler
    driver.py    a song's tasks submitted as their inputs are ready; the outcomes
    report.py    the summary table, report.json and the exit code
    display.py   progress: bars, lines or JSON
    out_dir.py   OUT_DIR is a batch's own, one batch at a time

`musicface batch` (core/commands/batch.py) is a thin layer over these.
"""
