"""`musicface batch`: songs on a real Dask LocalCluster (2 worker processes on 127.0.0.1),
resume, a worker killed mid-song, bad songs, a full disk, and split photoreal renders."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.batch.cluster import Cluster, start_local
from core.batch.driver import Outcome, run_batch
from core.batch.record import OUTPUT_FILES, load_record
from core.batch.report import PARTIAL, exit_code
from core.batch.settings import BatchSettings, prepare
from core.batch.songs import Song, find_songs
from tests.conftest import REPO, encode
from tests.core.test_generate import make_checkpoint

SR = 22050


def make_song(path: Path, seconds: float, pitch: float = 220.0) -> Path:
    t = np.arange(int(seconds * SR)) / SR
    tone = 0.3 * np.sin(2 * np.pi * pitch * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.7 * t))
    noise = 0.02 * np.random.default_rng(int(pitch)).standard_normal(len(t))
    return encode(path, tone + noise, SR)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One LocalCluster for the module (starting one costs seconds). Its workers get a
    separation cache of their own, so that a song is separated for real in every session
    (the face arrays are linked in: rebuilding them from Anny takes minutes)."""
    from core.face.anny_head import anny_version
    from core.face.cache import cache_path

    cache = tmp_path_factory.mktemp("cache")
    face = cache_path(anny_version())
    if face.is_file():
        (cache / face.name).symlink_to(face)
    before = os.environ.get("MUSICFACE_CACHE")
    os.environ["MUSICFACE_CACHE"] = str(cache)
    started = start_local(workers=2, threads=1, dashboard=False)
    yield started
    started.close()
    if before is None:
        os.environ.pop("MUSICFACE_CACHE", None)
    else:
        os.environ["MUSICFACE_CACHE"] = before


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> BatchSettings:
    checkpoint = make_checkpoint(tmp_path_factory.mktemp("ckpt") / "small.pt", "full")
    return BatchSettings(checkpoint=checkpoint, separator="dsp", device="cpu")


def songs_in(folder: Path, seconds: dict[str, float]) -> list[Song]:
    folder.mkdir(parents=True, exist_ok=True)
    for i, (name, length) in enumerate(seconds.items()):
        make_song(folder / f"{name}.mp3", length, 200.0 + 60 * i)
    return find_songs(folder)


class Events:
    """The tasks' events as the driver passes them on; `kill` SIGKILLs the worker process
    that starts the take of a given song in `out`, up to `times` times."""

    def __init__(self, kill: str | None = None, times: int = 1, out: Path | None = None) -> None:
        self.messages: list[dict[str, Any]] = []
        self.kill, self.times, self.out = kill, times, out
        self.killed: list[int] = []
        self.take_written_before_kill = False

    def __call__(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        start = message.get("event") == "start"
        if start and message["song"] == self.kill and message["task"] == "take":
            if len(self.killed) < self.times:
                os.kill(message["pid"], signal.SIGKILL)
                self.killed.append(message["pid"])
                # The take is written at the task's end: absent here, the kill hit mid-song.
                assert self.out is not None
                if (self.out / message["song"] / "take.npz").exists():
                    self.take_written_before_kill = True

    def starts(self, task: str | None = None) -> list[dict[str, Any]]:
        """The tasks started for songs (`task`: of that kind), not the models' check."""
        return [
            m
            for m in self.messages
            if m.get("event") == "start"
            and m["task"] != "check"
            and (task is None or m["task"] == task)
        ]


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def by_song(outcomes: list[Outcome]) -> dict[str, Outcome]:
    return {o.song.folder: o for o in outcomes}


def test_three_songs_on_two_workers_then_a_rerun_does_no_work(
    cluster: Cluster, settings: BatchSettings, tmp_path: Path
) -> None:
    songs = songs_in(tmp_path / "songs", {"alpha": 2.0, "beta": 2.5, "gamma": 3.0})
    settings, fingerprints = prepare(settings)
    events = Events()
    outcomes = run_batch(
        cluster.client, songs, tmp_path / "out", settings, fingerprints, on_event=events
    )
    assert [o.status for o in outcomes] == ["done"] * 3, [o.reason for o in outcomes]
    assert exit_code(outcomes) == 0
    assert len(events.starts("take")) == 3
    assert len({m["pid"] for m in events.starts("take")}) == 2  # both workers took songs
    from core.performance import Performance

    for song, seconds in zip(songs, (2.0, 2.5, 3.0), strict=True):
        folder = tmp_path / "out" / song.folder
        take = Performance.load(folder / "take.npz")
        assert take.frames == int(np.ceil(seconds * 30))
        assert take.meta["song_sha256"] == load_record(folder, take.meta["song_sha256"]).song_sha256
        assert sorted(p.name for p in folder.iterdir()) == ["record.json", "take.npz"]
    # Each worker's torch, and its separation's chunks, have its share of the cores, no more.
    from core.separation.spleeter_torch import separation_threads

    assert set(cluster.client.run(_torch_threads).values()) == {cluster.threads}
    assert set(cluster.client.run(separation_threads).values()) == {cluster.threads}
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*") if p.is_file()}

    again = Events()
    outcomes = run_batch(
        cluster.client, songs, tmp_path / "out", settings, fingerprints, on_event=again
    )
    assert [o.status for o in outcomes] == ["skipped"] * 3
    assert again.messages == []  # no task ran
    assert stamps == {p: p.stat().st_mtime_ns for p in stamps}  # nothing was rewritten

    # Other settings make other takes: a new seed redoes every song.
    reseeded, new_prints = prepare(replace(settings, seed=7))
    outcomes = run_batch(cluster.client, songs, tmp_path / "out", reseeded, new_prints)
    assert [o.status for o in outcomes] == ["done"] * 3


def test_a_corrupt_song_and_a_missing_one_are_reported_and_the_others_finish(
    cluster: Cluster, settings: BatchSettings, tmp_path: Path
) -> None:
    make_song(tmp_path / "good.mp3", 2.0)
    (tmp_path / "corrupt.mp3").write_bytes(b"\x00not audio" * 200)
    listing = tmp_path / "songs.txt"
    listing.write_text("# studio list\ngood.mp3\ncorrupt.mp3\n\nmissing.wav\n")
    songs = find_songs(listing)
    settings, fingerprints = prepare(settings)
    outcomes = by_song(run_batch(cluster.client, songs, tmp_path / "out", settings, fingerprints))
    assert outcomes["good"].status == "done"
    corrupt, missing = outcomes["corrupt"], outcomes["missing"]
    assert corrupt.status == missing.status == "failed"
    assert corrupt.kind == missing.kind == "bad_input"
    assert "corrupt.mp3" in (corrupt.reason or "") and "\n" not in (corrupt.reason or "")
    assert corrupt.retries == 0  # the user's error: not run again
    assert (missing.reason or "").startswith("song not found")
    folder = tmp_path / "out" / "corrupt"
    assert sorted(p.name for p in folder.iterdir()) == ["record.json"]
    record = json.loads((folder / "record.json").read_text())
    assert record["status"] == "failed" and record["stage"] == "take"
    assert exit_code(list(outcomes.values())) == PARTIAL


def test_a_killed_workers_song_is_redone_on_the_other_worker(
    cluster: Cluster, settings: BatchSettings, tmp_path: Path
) -> None:
    songs = songs_in(tmp_path / "songs", {"long": 20.0, "short1": 2.0, "short2": 2.0})
    settings, fingerprints = prepare(settings)
    events = Events(kill="long", out=tmp_path / "out")
    outcomes = by_song(
        run_batch(cluster.client, songs, tmp_path / "out", settings, fingerprints, on_event=events)
    )
    assert len(events.killed) == 1 and not events.take_written_before_kill
    assert all(o.status == "done" for o in outcomes.values()), outcomes
    takes = [m for m in events.starts("take") if m["song"] == "long"]
    assert len(takes) == 2 and takes[1]["pid"] != events.killed[0]  # run again elsewhere
    assert outcomes["long"].retries == 1
    from core.performance import Performance

    assert Performance.load(tmp_path / "out" / "long" / "take.npz").frames == 600
    assert not [p for p in (tmp_path / "out").rglob(".*") if p.is_file()]  # no partial file
    cluster.client.wait_for_workers(2, timeout=300)  # the killed one is back for the next test


def test_a_song_whose_worker_dies_twice_fails_and_a_rerun_does_only_it(
    cluster: Cluster, settings: BatchSettings, tmp_path: Path
) -> None:
    songs = songs_in(tmp_path / "songs", {"long": 20.0, "short": 2.0})
    settings, fingerprints = prepare(settings)
    events = Events(kill="long", times=2, out=tmp_path / "out")
    outcomes = by_song(
        run_batch(cluster.client, songs, tmp_path / "out", settings, fingerprints, on_event=events)
    )
    assert len(events.killed) == 2 and not events.take_written_before_kill
    assert outcomes["short"].status == "done"
    assert outcomes["long"].status == "failed" and "worker died" in (outcomes["long"].reason or "")
    assert not (tmp_path / "out" / "long" / "take.npz").exists()
    cluster.client.wait_for_workers(2, timeout=300)
    short_take = tmp_path / "out" / "short" / "take.npz"
    made = short_take.stat().st_mtime_ns

    rerun = Events()
    outcomes = by_song(
        run_batch(cluster.client, songs, tmp_path / "out", settings, fingerprints, on_event=rerun)
    )
    assert outcomes["long"].status == "done" and outcomes["short"].status == "skipped"
    # The finished song's take is not made again. (Its start events are not the proof: Dask's
    # event log can hand the new run a late one from the first run's task, as CI once saw.)
    assert short_take.stat().st_mtime_ns == made
    assert "long" in [m["song"] for m in rerun.starts()]


def _render_whole(take: str, out: str, song: str, size: int, segment_frames: int) -> str:
    """`musicface render`'s function, run on a worker (the same torch threads as the
    batch's tasks: the network's sums may round differently on other thread counts)."""
    from core.performance import Performance
    from core.photoreal.render_video import render_video
    from core.photoreal.renderer_file import load_renderer

    render_video(
        Performance.load(take),
        load_renderer(),
        Path(out),
        size=size,
        song=Path(song),
        segment_frames=segment_frames,
    )
    return out


def decoded(video: Path) -> np.ndarray:
    from core.audio import ffmpeg_exe

    argv = [
        ffmpeg_exe(),
        "-loglevel",
        "error",
        "-i",
        str(video),
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-fps_mode",
        "passthrough",
        "-",
    ]
    raw = subprocess.run(argv, capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, 64, 64, 3)


def test_a_finished_task_is_let_go_so_a_lost_worker_does_not_make_it_again(
    cluster: Cluster, settings: BatchSettings, tmp_path: Path
) -> None:
    """Once the driver has read a task's outcome, the client no longer holds it: when the
    song's next task starts, Dask has forgotten the take. (While the client held it, a
    worker that died holding the take's result made Dask run the take again, and a
    finished song's take.npz was written a second time after its record said done.)"""
    songs = songs_in(tmp_path / "songs", {"clip": 1.0})
    split, fingerprints = prepare(
        replace(settings, photoreal=True, size=64, segment_frames=30, frames_per_task=30)
    )
    held: list[bool] = []

    class Watch(Events):
        def __call__(self, message: dict[str, Any]) -> None:
            super().__call__(message)
            if message.get("event") == "start" and message["task"] == "render":
                take = next(m["key"] for m in self.starts("take"))
                held.append(take in cluster.client.refcount)

    outcomes = run_batch(
        cluster.client, songs, tmp_path / "out", split, fingerprints, on_event=Watch()
    )
    assert outcomes[0].status == "done", outcomes[0].reason
    assert held == [False]


def test_split_photoreal_ranges_join_to_the_same_video_as_one_render(
    cluster: Cluster, settings: BatchSettings, tmp_path: Path
) -> None:
    import imageio_ffmpeg

    songs = songs_in(tmp_path / "songs", {"clip": 1.5})  # 45 frames
    settings, fingerprints = prepare(settings)
    assert (
        run_batch(cluster.client, songs, tmp_path / "out", settings, fingerprints)[0].status
        == "done"
    )
    split, fingerprints = prepare(
        replace(settings, photoreal=True, size=64, segment_frames=16, frames_per_task=16)
    )
    events = Events()
    outcomes = run_batch(
        cluster.client, songs, tmp_path / "out", split, fingerprints, on_event=events
    )
    assert outcomes[0].status == "done", outcomes[0].reason
    assert len(events.starts("render")) == 3  # frames 0-15, 16-31, 32-44: three tasks
    assert not events.starts("take")  # the take of the first run is kept
    folder = tmp_path / "out" / "clip"
    assert sorted(p.name for p in folder.iterdir()) == ["photoreal.mp4", "record.json", "take.npz"]

    whole = cluster.client.submit(
        _render_whole,
        str(folder / "take.npz"),
        str(tmp_path / "whole.mp4"),
        str(songs[0].path),
        64,
        16,
    ).result()
    joined, single = decoded(folder / "photoreal.mp4"), decoded(Path(whole))
    assert joined.shape == single.shape == (45, 64, 64, 3)
    np.testing.assert_array_equal(joined, single)
    assert joined.std() > 5  # a face, not a blank frame
    # Players see 45 frames at 30 fps with the song's sound.
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(folder / "photoreal.mp4"))
    assert frames == 45 and seconds == pytest.approx(1.5, abs=0.05)
    probe = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(folder / "photoreal.mp4")],
        capture_output=True,
        text=True,
    ).stderr
    assert "Audio: aac" in probe and "30 fps" in probe and "synthetic" in probe


def test_a_full_disk_fails_the_song_and_leaves_no_partial_file(
    cluster: Cluster, settings: BatchSettings, tmp_path: Path
) -> None:
    """OUT_DIR on a real 1 MiB tmpfs, filled until a take no longer fits (ENOSPC from the
    kernel, not a simulated exception); after space is freed a rerun finishes."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        songs = songs_in(tmp_path / "songs", {"first": 20.0, "second": 20.0})
        settings, fingerprints = prepare(settings)
        out = disk / "out"
        out.mkdir()
        for song in songs:
            (out / song.folder).mkdir()
        filler = disk / "filler"
        free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
        filler.write_bytes(b"\0" * (free - 48 * 1024))  # room for records, not for takes
        outcomes = run_batch(cluster.client, songs, out, settings, fingerprints)
        assert [o.status for o in outcomes] == ["failed", "failed"]
        assert all("No space left on device" in (o.reason or "") for o in outcomes)
        assert all(o.retries == 1 for o in outcomes)  # not the user's error: tried again once
        for song in songs:
            assert sorted(p.name for p in (out / song.folder).iterdir()) == ["record.json"]

        filler.unlink()
        outcomes = run_batch(cluster.client, songs, out, settings, fingerprints)
        assert [o.status for o in outcomes] == ["done", "done"]
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_find_songs_names_each_folder_once() -> None:
    from core.batch.songs import _name_folders

    songs = _name_folders([Path("/a/x.mp3"), Path("/b/x.wav"), Path("/a/y z?.mp3")])
    names = [s.folder for s in songs]
    assert names[0].startswith("x-") and names[1].startswith("x-") and names[0] != names[1]
    assert names[2] == "y z_"
    assert [s.folder for s in _name_folders([Path("/b/x.wav"), Path("/a/x.mp3")])] == [
        names[1],
        names[0],
    ]  # the same song keeps its folder in another list


def test_exit_codes_tell_all_done_partial_and_all_failed() -> None:
    song = Song(Path("/s.mp3"), "s")
    done, skipped = Outcome(song, "done"), Outcome(song, "skipped")
    bad, missing = (
        Outcome(song, "failed", kind="bad_input"),
        Outcome(song, "failed", kind="missing_model"),
    )
    assert exit_code([done, skipped]) == 0
    assert exit_code([done, bad]) == PARTIAL
    assert exit_code([bad, bad]) == 2 and exit_code([missing]) == 3
    assert exit_code([bad, missing]) == 1
    assert exit_code([done, Outcome(song, "cancelled")]) == 130


def test_the_command_line_reports_a_partial_batch_and_resumes(
    settings: BatchSettings, tmp_path: Path
) -> None:
    songs = tmp_path / "songs"
    songs.mkdir()
    make_song(songs / "fine.wav", 2.0)
    (songs / "broken.ogg").write_bytes(b"OggS but not really" * 50)
    out = tmp_path / "out"
    argv = [
        sys.executable,
        "-m",
        "core.cli",
        "--progress",
        "json",
        "batch",
        str(songs),
        "-o",
        str(out),
        "--workers",
        "2",
        "--separator",
        "dsp",
        "--device",
        "cpu",
        "--checkpoint",
        str(settings.checkpoint),
        "--no-dashboard",
    ]
    first = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, check=False)
    assert first.returncode == PARTIAL, first.stderr
    lines = [json.loads(line) for line in first.stdout.splitlines()]
    assert {"song": "fine", "status": "done", "reason": None} in lines
    assert any(line.get("song") == "broken" and line["status"] == "failed" for line in lines)
    assert lines[-1]["kind"] == "partial" and "1 of 2 songs failed" in lines[-1]["error"]
    assert {"stage": "songs", "progress": 1.0} in lines
    report = json.loads((out / "report.json").read_text())
    assert report["counts"] == {"failed": 1, "done": 1} and report["exit_code"] == PARTIAL
    assert "Traceback" not in first.stderr

    (songs / "broken.ogg").unlink()
    second = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, check=False)
    assert second.returncode == 0, second.stderr
    assert "nothing to do" in second.stderr  # no cluster was started for it
    assert json.loads(second.stdout.splitlines()[-1]) == {"done": str(out / "report.json")}
    assert OUTPUT_FILES["take"] in os.listdir(out / "fine")


def test_an_out_dir_is_a_batchs_own_and_one_batch_at_a_time(tmp_path: Path) -> None:
    from core.batch.out_dir import claim
    from core.errors import BadInput

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(BadInput, match="did not make"):
        claim(tmp_path / "mine")
    first = claim(tmp_path / "out")
    with pytest.raises(BadInput, match="another musicface batch"):
        claim(tmp_path / "out")
    first.close()
    (tmp_path / "out" / "song").mkdir()
    claim(tmp_path / "out").close()  # its own folder, free again


def test_an_existing_dask_cluster_runs_the_batch(settings: BatchSettings, tmp_path: Path) -> None:
    """`dask scheduler` and `dask worker` started as the README says (here on 127.0.0.1,
    with this checkout's engine on their path), then `musicface batch --scheduler`."""
    dask = Path(sys.executable).with_name("dask")
    env = dict(os.environ, PYTHONPATH=str(REPO), DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1")
    info = tmp_path / "scheduler.json"
    started = [
        subprocess.Popen(
            [
                str(dask),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--dashboard-address",
                "127.0.0.1:0",
                "--scheduler-file",
                str(info),
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    try:
        for _ in range(300):
            if info.is_file() and info.read_text().strip():
                break
            time.sleep(0.1)
        address = json.loads(info.read_text())["address"]
        started.append(
            subprocess.Popen(
                [
                    str(dask),
                    "worker",
                    address,
                    "--nworkers",
                    "1",
                    "--nthreads",
                    "1",
                    "--memory-limit",
                    "0",
                ],
                cwd=REPO,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        songs = tmp_path / "songs"
        songs.mkdir()
        make_song(songs / "one.flac", 2.0)
        make_song(songs / "two.m4a", 2.0, 300.0)
        out = tmp_path / "out"
        argv = [
            sys.executable,
            "-m",
            "core.cli",
            "--progress",
            "none",
            "batch",
            str(songs),
            "-o",
            str(out),
            "--scheduler",
            address,
            "--separator",
            "dsp",
            "--device",
            "cpu",
            "--checkpoint",
            str(settings.checkpoint),
        ]
        done = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, check=False)
        assert done.returncode == 0, done.stderr
        report = json.loads((out / "report.json").read_text())
        assert report["scheduler"] == address and report["workers"] == 1
        assert [s["status"] for s in report["songs"]] == ["done", "done"]
    finally:
        for process in reversed(started):
            process.terminate()
            process.wait(timeout=30)


def test_a_model_that_cannot_run_the_songs_is_one_error_before_any_song(
    cluster: Cluster, settings: BatchSettings, tmp_path: Path
) -> None:
    from core.errors import BadInput

    songs = songs_in(tmp_path / "songs", {"one": 1.0})
    (tmp_path / "not_a_model.pt").write_bytes(b"nope")
    for wrong in (
        replace(settings, subject=9),
        replace(settings, checkpoint=tmp_path / "not_a_model.pt"),
    ):
        prepared, fingerprints = prepare(wrong)
        events = Events()
        with pytest.raises(BadInput):
            run_batch(
                cluster.client, songs, tmp_path / "out", prepared, fingerprints, on_event=events
            )
        assert events.starts() == []  # no song was sent
        assert [m["task"] for m in events.messages] == ["check"]
    with pytest.raises(BadInput, match="checkpoint not found"):
        prepare(replace(settings, checkpoint=tmp_path / "absent.pt"))


def test_a_render_range_keeps_the_segments_an_earlier_attempt_finished(
    settings: BatchSettings, tmp_path: Path
) -> None:
    """What a killed render left finished is not rendered again (in this process: the
    task is a plain function)."""
    from core.batch.tasks import render_range
    from core.performance import Performance

    frames = 32
    t = np.arange(frames) / 30
    expression = np.zeros((frames, 52), np.float32)
    expression[:, 24] = 0.5 + 0.5 * np.sin(2 * np.pi * t)
    take = Performance(
        fps=30.0,
        expression=expression,
        pose=np.zeros((frames, 6), np.float32),
        eye_long=np.zeros(frames),
        eye_blink=np.zeros(frames),
        meta={},
    ).save(tmp_path / "take.npz")
    prepared, _ = prepare(replace(settings, photoreal=True, size=64, segment_frames=16))
    segments = tmp_path / "song" / ".segments" / "key"
    segments.mkdir(parents=True)
    assert render_range(str(take), str(segments), [(0, 16)], prepared) == [
        str(segments / "00000000.mp4")
    ]
    first = (segments / "00000000.mp4").stat().st_mtime_ns
    done = render_range(str(take), str(segments), [(0, 16), (16, 32)], prepared)
    assert done == [str(segments / "00000000.mp4"), str(segments / "00000016.mp4")]
    assert (segments / "00000000.mp4").stat().st_mtime_ns == first
    assert sorted(p.name for p in segments.iterdir()) == ["00000000.mp4", "00000016.mp4"]
