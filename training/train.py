"""Training loop of the generator (DESIGN.md, "The method" 7).

Adam (lr 1e-4) on L = 1·L_reg + 0.1·L_adv over random 128-frame crops, the
learning rate held for the first 40 % of the steps and decayed linearly to
zero over the last 60 %. Each epoch ends with a validation pass on the test
split, a JSONL log line and a checkpoint (the inference checkpoint `--out`
plus `<out>.state.pt` with the optimiser and discriminator, for `--resume`).
A PNG of the loss curves is drawn at the end.

Multi-GPU: launch the same command with
`torchrun --nproc_per_node=N -m training.cli train …` (or the
`musicface-train` script). Each process trains on its own random crops
(seeded by rank) under DistributedDataParallel; rank 0 writes every file.
The effective batch is N × --batch-size.

`train()` reads top to bottom as the loop (setup, resume, epochs, save); the
steps it names follow it in that order.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from core.checkpoints import atomic_torch_save, checkpoint_dict, load_checkpoint
from core.device import resolve_device
from core.errors import BadInput
from core.face.arkit import ARKIT_INDEX
from core.model.config import GeneratorConfig
from core.model.discriminator import Discriminator
from core.model.generator import MusicFaceGenerator
from core.model.normalization import Normalization
from core.progress import ProgressFn, no_progress
from training import losses
from training.dataset import Batch, DataArg, MusicFaceDataset, as_sources

# The eyeBlink columns hold the composite eye state, made by ESGN (sampled blinks and
# learned long closures), so the EGN is not asked to predict them.
EXPRESSION_COLUMNS = torch.tensor(
    [i for i in range(52) if i not in (ARKIT_INDEX["eyeBlinkLeft"], ARKIT_INDEX["eyeBlinkRight"])]
)
MIN_STEPS_PER_EPOCH = 25  # a small corpus still gets enough updates per epoch
HOLD_FRACTION = 0.4  # lr constant for 40 % of the steps, then linear decay to 0
GRAD_CLIP = 5.0  # the PGN rollout backpropagates through 128 steps; keep it tame


@dataclass
class TrainOptions:
    # One dataset folder, or several read as one (DataSources carry a sampling weight;
    # training/dataset.py says how subjects, sampling and normalisation combine).
    data: DataArg
    out: Path
    variant: str = "full"
    epochs: int = 50
    batch_size: int = 16
    steps_per_epoch: int | None = None  # None: one pass over the training frames
    window: int = 128
    lr: float = 1e-4
    seed: int = 0
    device: str = "auto"
    resume: bool = False
    adversarial: bool = True
    plot: bool = True
    show_bar: bool = False
    config: dict[str, Any] = field(default_factory=dict)  # GeneratorConfig overrides
    # Start from this checkpoint's weights and input normalisation. With `only`, that
    # task's path (its ATM and head) is trained afresh and every other weight stays
    # as the checkpoint has it: the pose head can be retrained on a model's encoders
    # without moving its lips or eyes.
    init: Path | None = None
    only: str | None = None
    # The share of training crops whose pose head hears another crop's audio (its own
    # beat phase and subject kept): a head trained so keeps the beat from the phase
    # where a song's sound is unlike the corpus's. 0: every crop hears its own.
    pose_audio_swap: float = 0.0


@dataclass
class TrainResult:
    checkpoint: Path
    state: Path
    log: Path
    plot: Path | None
    epochs: int
    steps: int
    val_loss: float | None
    initial_val_loss: float | None


def side_paths(out: Path) -> tuple[Path, Path, Path]:
    """The state, log and plot files that go with checkpoint `out`."""
    stem = out.with_suffix("")
    return (
        stem.with_name(stem.name + ".state.pt"),
        stem.with_name(stem.name + ".log.jsonl"),
        stem.with_name(stem.name + ".loss.png"),
    )


def learning_rate(base: float, step: int, total: int) -> float:
    """Held for the first 40 % of the steps, then linear decay to 0 over the last 60 %."""
    hold = HOLD_FRACTION * total
    if step < hold:
        return base
    return base * max(0.0, (total - step) / max(1.0, total - hold))


def batch_losses(
    model: nn.Module,
    batch: Batch,
    expression_scale: torch.Tensor,
    pose_audio_from: torch.Tensor | None = None,
) -> tuple[dict[str, torch.Tensor], Any]:
    """The paper's reconstruction terms of one batch, with L_adv at 0 (`_step` adds it).

    Expression and pose are compared in normalised units (see normalization.py).
    """
    out = model(batch.streams, batch.subject, batch.initial_pose, batch.rhythm, pose_audio_from)
    cols = EXPRESSION_COLUMNS.to(out.expression.device)
    scale = expression_scale.to(out.expression.device)[cols]
    terms = {
        "l_exp": losses.l_exp(
            out.expression[..., cols] / scale, batch.expression[..., cols] / scale
        ),
        "l_pose": losses.l_pose(out.pose, batch.pose),
        "l_eye": losses.l_eye(out.e_long, batch.eye_long),
    }
    att = losses.l_att(out.attention)
    terms["l_att"] = att if torch.is_tensor(att) else out.pose.new_tensor(att)
    terms["l_reg"] = losses.l_reg(terms["l_exp"], terms["l_pose"], terms["l_eye"], terms["l_att"])
    adv = out.pose.new_zeros(())
    terms["l_adv_g"] = adv
    terms["loss"] = losses.l_total(terms["l_reg"], adv)
    return terms, out


@torch.no_grad()
def validate(
    model: nn.Module, batches: list[Batch], expression_scale: torch.Tensor, device: torch.device
) -> dict[str, float]:
    """Mean reconstruction losses on fixed crops; val_loss = L_exp + L_pose + L_eye."""
    if not batches:
        return {}
    was_training = model.training
    model.eval()
    sums: dict[str, float] = {"val_l_exp": 0.0, "val_l_pose": 0.0, "val_l_eye": 0.0}
    count = 0
    for batch in batches:
        terms, _ = batch_losses(model, batch.to(device), expression_scale)
        n = len(batch.subject)
        for key in ("l_exp", "l_pose", "l_eye"):
            sums[f"val_{key}"] += float(terms[key]) * n
        count += n
    model.train(was_training)
    result = {k: v / count for k, v in sums.items()}
    result["val_loss"] = result["val_l_exp"] + result["val_l_pose"] + result["val_l_eye"]
    return result


def _plot(log_path: Path, png_path: Path) -> Path | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    if not records:
        return None
    epochs = [r["epoch"] for r in records]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for key in ("loss", "l_exp", "l_pose", "l_eye", "l_att", "l_adv_g", "val_loss"):
        values = [r.get(key) for r in records]
        if any(v is not None for v in values):
            style = "--" if key.startswith("val") else "-"
            ax.plot(epochs, [np.nan if v is None else v for v in values], style, label=key)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(f"MusicFace training: {png_path.stem}")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
    return png_path


def train(
    options: TrainOptions,
    progress: ProgressFn = no_progress,
    echo: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train a generator on `options.data`; returns where everything was written.

    `progress("train", fraction)` after every step; `echo(line)` once per epoch.
    """
    # Setup: this process among torchrun's, the data, the networks on the device.
    proc = _join_processes(options.device)
    if not proc.master:  # one voice: only rank 0 reports
        progress, echo = no_progress, None
    out, state_path, log_path, plot_path = _output_paths(options)
    corpus = _open_corpus(options, proc.world)
    resumed = _read_resume(options, state_path, corpus.config, echo)
    run = _setup_run(options, proc, corpus, resumed)

    # Resume where the last saved epoch ended, or start a fresh log.
    first_epoch, step = 0, 0
    initial_val: float | None = None
    if resumed is not None:
        first_epoch, step = int(resumed["epoch"]), int(resumed["step"])
        initial_val = resumed.get("initial_val_loss")
    if proc.master and resumed is None:
        log_path.write_text("")
    if initial_val is None:
        initial_val = run.val_loss()

    # The loop: an epoch of random crops, then (rank 0) validate, log and save.
    bar = _progress_bar(options, proc, run.total_steps, step)

    def on_step(epoch: int, step: int, loss: float) -> None:
        if bar is not None:
            bar.update(1)
            bar.set_postfix(epoch=epoch + 1, loss=f"{loss:.3f}", refresh=False)
        progress("train", step / run.total_steps)

    last_val: float | None = None
    run.nets.model.train()
    for epoch in range(first_epoch, options.epochs):
        record = _train_epoch(run, epoch, step, on_step)
        step = record["step"]
        if proc.master:
            record.update(run.val_losses())
            last_val = record.get("val_loss")
            _log_epoch(log_path, record, options.epochs, echo)
            _save(run, out, state_path, record, initial_val)

    # The end: every process done, the loss curves drawn.
    if bar is not None:
        bar.close()
    if proc.world > 1:
        torch.distributed.barrier()
    plot = None
    if proc.master and options.plot and log_path.is_file():
        plot = _plot(log_path, plot_path)
    if last_val is None:
        last_val = run.val_loss()
    return TrainResult(
        checkpoint=out,
        state=state_path,
        log=log_path,
        plot=plot,
        epochs=options.epochs,
        steps=step,
        val_loss=last_val,
        initial_val_loss=initial_val,
    )


@dataclass
class Process:
    """This process among torchrun's (world 1, rank 0 without torchrun), and its device."""

    world: int
    rank: int
    device: torch.device

    @property
    def master(self) -> bool:
        """Rank 0 reports and writes every file."""
        return self.rank == 0


def _join_processes(device: str) -> Process:
    """Join torchrun's process group when launched by it, and take this rank's device."""
    world, rank, local_rank = _distributed()
    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend)
    chosen = resolve_device(device, local_rank)
    if chosen.type == "cuda":
        torch.cuda.set_device(chosen)  # NCCL needs each process on its own GPU
    return Process(world, rank, chosen)


def _distributed() -> tuple[int, int, int]:
    """(world size, rank, local rank) as torchrun sets them; (1, 0, 0) otherwise."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return world, int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))


def _output_paths(options: TrainOptions) -> tuple[Path, Path, Path, Path]:
    """The checkpoint and its state, log and plot files, once the options are checked."""
    if options.epochs < 1 or options.batch_size < 1 or options.window < 8:
        raise BadInput("epochs and batch size must be positive, the window at least 8 frames")
    out = Path(options.out)
    if not out.parent.is_dir():
        raise BadInput(f"output folder does not exist: {out.parent}")
    return (out, *side_paths(out))


@dataclass
class Corpus:
    """The two splits, the model config they give, and the crop and step counts."""

    train: MusicFaceDataset
    test: MusicFaceDataset
    config: GeneratorConfig
    crop: int  # frames per crop: the window, or the shortest training clip
    steps_per_epoch: int


def _open_corpus(options: TrainOptions, world: int) -> Corpus:
    sources = as_sources(options.data)
    train_set = MusicFaceDataset(sources, "train")
    for index, source in enumerate(sources):
        if not train_set.clips_of(index):
            raise BadInput(f"{source.path} has no training clips (split: train)")
    test_set = MusicFaceDataset(sources, "test")
    config = GeneratorConfig(
        **{
            "variant": options.variant,
            "n_subjects": len(train_set.subjects),
            "fps": train_set.fps,
            **options.config,
        }
    )
    crop = train_set.crop_length(options.window)
    steps_per_epoch = options.steps_per_epoch or max(
        MIN_STEPS_PER_EPOCH, math.ceil(train_set.frames / (options.batch_size * crop * world))
    )
    return Corpus(train_set, test_set, config, crop, steps_per_epoch)


def _read_resume(
    options: TrainOptions,
    state_path: Path,
    config: GeneratorConfig,
    echo: Callable[[str], None] | None,
) -> dict[str, Any] | None:
    """The state saved after the last epoch when resuming; None for a fresh start."""
    if not options.resume:
        return None
    if not state_path.is_file():
        if echo is not None:
            echo(f"nothing to resume at {state_path}; starting from scratch")
        return None
    resumed = read_training_state(state_path)
    if resumed["config"] != config.to_dict():
        raise BadInput(f"{state_path.name} was trained with another config; cannot resume")
    saved = resumed.get("data")
    if saved is not None and echo is not None:
        if [[str(p), float(w)] for p, w in saved] != _data_record(options):
            echo(f"note: {state_path.name} was trained on other datasets or weights; resuming")
    return resumed


@dataclass
class Networks:
    """The generator and discriminator with their optimisers. The steps run `train_model`
    and `train_disc`: the same modules, wrapped in DistributedDataParallel under torchrun."""

    model: MusicFaceGenerator
    discriminator: Discriminator | None
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer | None
    train_model: nn.Module
    train_disc: nn.Module | None

    def set_lr(self, lr: float) -> None:
        for opt in (self.opt_g, self.opt_d):
            if opt is not None:
                for group in opt.param_groups:
                    group["lr"] = lr


def _initial_weights(
    options: TrainOptions, model: MusicFaceGenerator
) -> tuple[Normalization | None, list[nn.Parameter]]:
    """Load `options.init` into `model` (all of it, or all but the `only` task's path,
    which keeps its fresh seeded weights); returns the init's normalisation and the
    parameters to train."""
    if options.init is None:
        return None, list(model.parameters())
    loaded = load_checkpoint(options.init, device="cpu")
    theirs, ours = loaded.model.config.to_dict(), model.config.to_dict()
    if options.only == "expression":
        # What the lips hear is the expression path's own choice: retraining that path
        # on the init's encoders may change it (an older "both" model to "vocals").
        theirs.pop("lips_hear", None)
        ours.pop("lips_hear", None)
    if theirs != ours:
        raise BadInput(
            f"{Path(options.init).name} has another model config than this dataset and "
            "variant give (subjects, fps, variant); cannot start from it"
        )
    state = loaded.model.state_dict()
    if options.only is None:
        model.load_state_dict(state)
        return loaded.normalization, list(model.parameters())
    own = MusicFaceGenerator.TASK_PATHS[options.only]
    kept = {k: v for k, v in state.items() if not k.startswith(own)}
    model.load_state_dict(kept, strict=False)
    trained = []
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(name.startswith(own))
        if parameter.requires_grad:
            trained.append(parameter)
    if not trained:
        raise BadInput(f"the {model.config.variant} model has no {options.only} path to train")
    return loaded.normalization, trained


def _build_networks(
    options: TrainOptions, config: GeneratorConfig, proc: Process, resumed: dict[str, Any] | None
) -> tuple[Networks, Normalization | None]:
    """The seeded initial weights (or `options.init`'s), or the resumed ones, on the device
    with their optimisers; and the normalisation `options.init` brings, if any."""
    torch.manual_seed(options.seed)
    model = MusicFaceGenerator(config)
    init_normalization, trained = _initial_weights(options, model)
    audio_dim = config.n_mfcc * len(config.streams)
    discriminator = Discriminator(config.pose_dim, audio_dim) if options.adversarial else None
    if resumed is not None:
        model.load_state_dict(resumed["generator"])
        if discriminator is not None and resumed.get("discriminator"):
            discriminator.load_state_dict(resumed["discriminator"])

    model.to(proc.device)
    opt_g = torch.optim.Adam(trained, lr=options.lr)
    opt_d = None
    if discriminator is not None:
        discriminator.to(proc.device)
        opt_d = torch.optim.Adam(discriminator.parameters(), lr=options.lr)
    if resumed is not None:
        opt_g.load_state_dict(resumed["opt_g"])
        if opt_d is not None and resumed.get("opt_d"):
            opt_d.load_state_dict(resumed["opt_d"])

    train_model: nn.Module = model
    train_disc: nn.Module | None = discriminator
    if proc.world > 1:
        ids = [proc.device.index] if proc.device.type == "cuda" else None
        train_model = nn.parallel.DistributedDataParallel(model, device_ids=ids)
        if discriminator is not None:
            train_disc = nn.parallel.DistributedDataParallel(discriminator, device_ids=ids)
    return Networks(model, discriminator, opt_g, opt_d, train_model, train_disc), init_normalization


@dataclass
class Run:
    """What a training run holds fixed once it is set up."""

    options: TrainOptions
    proc: Process
    corpus: Corpus
    nets: Networks
    normalization: Normalization
    expression_scale: torch.Tensor
    streams: tuple[str, ...]  # the MFCC streams the model reads
    val_batches: list[Batch]  # fixed crops of the test split

    @property
    def total_steps(self) -> int:
        return self.options.epochs * self.corpus.steps_per_epoch

    def val_losses(self) -> dict[str, float]:
        """Validation losses of the generator as it is now ({} without a test split)."""
        return validate(self.nets.model, self.val_batches, self.expression_scale, self.proc.device)

    def val_loss(self) -> float | None:
        return self.val_losses().get("val_loss")


def _setup_run(
    options: TrainOptions, proc: Process, corpus: Corpus, resumed: dict[str, Any] | None
) -> Run:
    nets, init_normalization = _build_networks(options, corpus.config, proc, resumed)
    if resumed is not None:
        normalization = Normalization.from_dict(resumed["normalization"])
    elif init_normalization is not None:  # the encoders it brings expect their own
        normalization = init_normalization
    else:
        normalization = corpus.train.normalization()
    streams = nets.model.config.streams
    val_batches = (
        corpus.test.fixed_batches(
            options.batch_size,
            corpus.crop,
            streams,
            normalization,
            rhythm=corpus.config.rhythm_source,
        )
        if len(corpus.test)
        else []
    )
    expression_scale = torch.from_numpy(normalization.expression_scale)
    return Run(options, proc, corpus, nets, normalization, expression_scale, streams, val_batches)


def _progress_bar(options: TrainOptions, proc: Process, total: int, done: int) -> Any:
    if not (options.show_bar and proc.master):
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=done, unit="step", dynamic_ncols=True)


def _train_epoch(
    run: Run, epoch: int, step: int, on_step: Callable[[int, int, float], None]
) -> dict[str, Any]:
    """One epoch of random crops from global step `step`; returns its log record.

    The crops are seeded by (seed, epoch, rank), so a resumed run draws the same ones.
    """
    options, corpus = run.options, run.corpus
    rng = np.random.default_rng([options.seed, epoch, run.proc.rank])
    started = time.time()
    sums: dict[str, float] = {}
    lr = options.lr
    for _ in range(corpus.steps_per_epoch):
        lr = learning_rate(options.lr, step, run.total_steps)
        run.nets.set_lr(lr)
        batch = corpus.train.random_batch(
            rng,
            options.batch_size,
            corpus.crop,
            run.streams,
            run.normalization,
            rhythm=corpus.config.rhythm_source,
        )
        batch = batch.to(run.proc.device)
        swap = _pose_audio_from(len(batch.subject), run.options.pose_audio_swap, batch.pose)
        terms = _step(run.nets, batch, run.expression_scale, swap)
        for key, value in terms.items():
            sums[key] = sums.get(key, 0.0) + value
        step += 1
        on_step(epoch, step, terms["loss"])
    return {
        "epoch": epoch + 1,
        "step": step,
        "lr": lr,
        **{k: v / corpus.steps_per_epoch for k, v in sums.items()},
        "seconds": round(time.time() - started, 3),
    }


def _pose_audio_from(size: int, share: float, like: torch.Tensor) -> torch.Tensor | None:
    """For TrainOptions.pose_audio_swap: each crop's own index, or (with chance `share`)
    its neighbour's in the batch; None when nothing is swapped. Drawn from torch's seeded
    generator, so a run is as reproducible as without it."""
    if share <= 0.0 or size < 2:
        return None
    own = torch.arange(size, device=like.device)
    swapped = torch.rand(size, device=like.device) < share
    return torch.where(swapped, (own + 1) % size, own)


def _step(
    nets: Networks,
    batch: Batch,
    expression_scale: torch.Tensor,
    pose_audio_from: torch.Tensor | None = None,
) -> dict[str, float]:
    """One update of the discriminator (if any) and the generator."""
    model, discriminator = nets.train_model, nets.train_disc
    terms, out = batch_losses(model, batch, expression_scale, pose_audio_from)
    result = {}
    if discriminator is not None and nets.opt_d is not None:
        # One forward over real and generated sequences, so DDP sees one pass per backward.
        both = discriminator(
            torch.cat([batch.pose, out.pose.detach()]),
            torch.cat([batch.eye_long, out.e_long.detach()]),
            torch.cat([batch.audio, batch.audio]),
        )
        d_real, d_fake = both.chunk(2)
        loss_d = losses.l_adv_discriminator(d_real, d_fake)
        nets.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        nets.opt_d.step()
        adv = losses.l_adv_generator(discriminator(out.pose, out.e_long, batch.audio))
        terms["l_adv_g"] = adv
        terms["loss"] = losses.l_total(terms["l_reg"], adv)
        result["l_adv_d"] = float(loss_d.detach())
    nets.opt_g.zero_grad(set_to_none=True)
    terms["loss"].backward()
    nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
    nets.opt_g.step()
    result.update({k: float(v.detach()) for k, v in terms.items()})
    return result


def _log_epoch(
    log_path: Path, record: dict[str, Any], epochs: int, echo: Callable[[str], None] | None
) -> None:
    """The epoch's record as a line of the JSONL log, and as one line to the user."""
    with log_path.open("a") as handle:
        handle.write(json.dumps(record) + "\n")
    if echo is not None:
        val_loss = record.get("val_loss")
        val = f", val {val_loss:.4f}" if val_loss is not None else ""
        echo(
            f"epoch {record['epoch']}/{epochs}: loss {record['loss']:.4f}{val} "
            f"({record['seconds']:.0f} s)"
        )


def _save(
    run: Run, out: Path, state_path: Path, record: dict[str, Any], initial_val: float | None
) -> None:
    """Both files of an epoch: the inference checkpoint `out`, and the state `--resume`
    continues from (the optimisers and the discriminator too)."""
    nets, options = run.nets, run.options
    train_set = run.corpus.train
    names = [s.path.resolve().name for s in train_set.sources]
    meta = {
        "subjects": train_set.subjects,
        "epochs": record["epoch"],
        "steps": record["step"],
        "dataset": "+".join(names),
        # Per dataset: its weight and where its subjects start in `subjects`.
        "datasets": [
            {"name": name, "weight": source.weight, "first_subject": offset}
            for name, source, offset in zip(
                names, train_set.sources, train_set.subject_offsets, strict=True
            )
        ],
        "val_loss": record.get("val_loss"),
        "seed": options.seed,
    }
    if options.init is not None:  # where the weights it did not train come from
        meta["init"] = Path(options.init).name
        meta["only"] = options.only
    if options.pose_audio_swap > 0:
        meta["pose_audio_swap"] = options.pose_audio_swap
    atomic_torch_save(checkpoint_dict(nets.model, run.normalization, meta), out)
    discriminator = nets.discriminator
    state = {
        "config": run.corpus.config.to_dict(),
        "epoch": record["epoch"],
        "step": record["step"],
        "generator": {k: v.detach().cpu() for k, v in nets.model.state_dict().items()},
        "discriminator": (
            {k: v.detach().cpu() for k, v in discriminator.state_dict().items()}
            if discriminator is not None
            else {}
        ),
        "opt_g": nets.opt_g.state_dict(),
        "opt_d": nets.opt_d.state_dict() if nets.opt_d is not None else {},
        "normalization": run.normalization.to_dict(),
        "initial_val_loss": initial_val,
        "data": _data_record(options),
    }
    atomic_torch_save(state, state_path)


def _data_record(options: TrainOptions) -> list[list[str | float]]:
    """The datasets a run trains on, as the state file records them: [[folder, weight]]."""
    return [[str(s.path.resolve()), s.weight] for s in as_sources(options.data)]


def read_training_state(path: Path) -> dict[str, Any]:
    """The resume state, loaded like a checkpoint: weights_only, never running code."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unreadable file is the user's to fix
        raise BadInput(f"cannot resume from {path.name}: {str(err).splitlines()[0]}") from err
    needed = ("config", "epoch", "step", "generator", "opt_g", "normalization")
    if not isinstance(state, dict) or any(k not in state for k in needed):
        raise BadInput(f"{path.name} is not a MusicFace training state")
    return state
