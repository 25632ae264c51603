"""Reading captcha digits with a CNN + bidirectional LSTM trained with CTC.

A Gluon port of MXNet 1.x's LSTM-OCR example (``example/ctc`` in the MXNet
repository): every captcha shows 3 to 5 random digits, the network reads the
image one column at a time (one frame per down-sampled column) and is trained
with the Connectionist Temporal Classification loss (Graves et al., 2006), so
it never needs to know where each digit is.

Pipeline::

    image (N, 32, 100) grey, ink = 1
      -> 2 x [Conv2D 3x3 + ReLU + MaxPool 2x2]  (N, 32, 8, 25)
      -> one frame per column                   (N, T=25, 32*8)
      -> bidirectional LSTM                     (N, 25, 2*hidden)
      -> Dense(11) per frame                    (N, 25, 11)   10 digits, blank last
      -> CTCLoss (training) / greedy CTC decoding (evaluation)

Run ``python3 examples/captcha_ocr.py --help`` for the flags; ``--quick`` is a
smoke run of well under a minute. The model and training code are plain Gluon:
``tools/prototype_captcha_mxnet.py`` runs this same file on MXNet 1.9.1.
"""
import argparse
import importlib.util
import json
import multiprocessing
import os
import random
import sys
import time

# One BLAS thread (set before NumPy loads; an explicit setting in the environment
# wins): the matrices here are small, and a multi-threaded OpenBLAS slows down
# ten-fold or worse when its cores are shared with other work.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
# Instead, up to two minigluon CPU workers: the two directions of the LSTM, and the images of a
# convolution, run on two threads at once (same results; minigluon/ops/_parallel.py).
os.environ.setdefault("MINIGLUON_CPU_WORKERS", str(min(2, os.cpu_count() or 1)))

import numpy as np  # noqa: E402

try:
    import minigluon  # noqa: F401
except ImportError:  # run from a checkout without installing: use the repository's package
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import minigluon as mx  # noqa: E402
from minigluon import autograd, gluon  # noqa: E402
from minigluon.gluon import nn, rnn  # noqa: E402

NUM_DIGITS = (3, 5)          # inclusive range of the number of digits per captcha
MAX_LABEL = NUM_DIGITS[1]    # labels are padded with -1 to this length
NUM_CLASSES = 11             # digits 0-9, CTC blank last (index 10)
IMAGE_SIZE = (32, 100)       # (height, width) the network sees
RENDER_SIZE = (64, 200)      # drawn at twice the size, then halved: thinner noise
FONT_SIZES = (44, 52, 60)    # captcha's defaults (42, 50, 56) suit a 60 px height
HELD_OUT_SEED = 20231        # the held-out set is the same whatever --seed says
CHUNK = 250                  # images per generation task (fixes the random streams)


# --------------------------------------------------------------------------- data
class _SeededSecrets(random.Random):
    """A seeded stand-in for the ``secrets`` module that ``captcha`` draws from.

    ``captcha`` 0.7 takes its randomness from :mod:`secrets` (OS entropy, not
    seedable); older releases use :mod:`random`. This object answers both
    interfaces (``randbelow``, ``randbits``, ``choice``, ``randint``...) from
    one seeded stream, so a given seed always draws the same images.
    """

    def randbelow(self, n):
        return self.randrange(n)

    def randbits(self, k):
        return self.getrandbits(k)


def _render_chunk(task):
    """Draw one chunk of captchas; ``task = (seed, count)``. Runs in a worker."""
    import captcha.image as cimg
    from PIL import Image

    seed, count = task
    rng = _SeededSecrets(seed)
    saved = {name: getattr(cimg, name) for name in ("secrets", "random") if hasattr(cimg, name)}
    for name in saved:
        setattr(cimg, name, rng)
    try:
        drawer = cimg.ImageCaptcha(width=RENDER_SIZE[1], height=RENDER_SIZE[0],
                                   font_sizes=FONT_SIZES)
        images = np.empty((count,) + IMAGE_SIZE, dtype=np.uint8)
        labels = np.full((count, MAX_LABEL), -1.0, dtype=np.float32)
        for i in range(count):
            n = rng.randint(*NUM_DIGITS)
            digits = [rng.randrange(10) for _ in range(n)]
            img = drawer.generate_image("".join(map(str, digits))).convert("L")
            img = img.resize((IMAGE_SIZE[1], IMAGE_SIZE[0]), Image.BILINEAR)
            images[i] = np.asarray(img)
            labels[i, :n] = digits
    finally:
        for name, module in saved.items():
            setattr(cimg, name, module)
    return images, labels


def make_captchas(count, seed, workers=1):
    """Generate ``count`` grey captchas of 3 to 5 digits, deterministically.

    Parameters
    ----------
    count : int
        Number of images.
    seed : int
        Seed of the random streams; the same ``(count, seed)`` always gives the
        same arrays, whatever ``workers`` is (images are drawn in fixed chunks,
        each with its own stream).
    workers : int
        Number of processes drawing chunks in parallel (1 = in this process).

    Returns
    -------
    images : numpy.ndarray, float32, shape (count, 32, 100)
        Ink is 1, background about 0.
    labels : numpy.ndarray, float32, shape (count, 5)
        The digits, padded with -1 (the padding ``gluon.loss.CTCLoss`` expects).
    """
    if count < 1:
        raise ValueError(f"count must be a positive number of images, got {count}")
    tasks = [(seed * 1_000_003 + k, min(CHUNK, count - start))
             for k, start in enumerate(range(0, count, CHUNK))]
    if workers > 1 and len(tasks) > 1 and "fork" in multiprocessing.get_all_start_methods():
        # fork: cheap start, and nothing GPU-related exists yet when data is made
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_render_chunk, tasks)
    else:
        parts = [_render_chunk(t) for t in tasks]
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    return (1.0 - images.astype(np.float32) / 255.0), labels


def label_to_string(row):
    """``[4, 0, 7, -1, -1]`` -> ``'407'`` (stops at the first padding value)."""
    out = []
    for v in row:
        if v < 0:
            break
        out.append(str(int(v)))
    return "".join(out)


def edit_distance(a, b):
    """Levenshtein distance between two sequences (insert, delete, substitute = 1)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


# -------------------------------------------------------------------------- model
class CaptchaNet(gluon.HybridBlock):
    """Per-column CNN features, a bidirectional LSTM and a per-frame classifier.

    Input ``(N, 32, 100)`` float32 images; output ``(N, 25, 11)`` unnormalised
    scores per frame (layout NTC, blank = class 10), ready for
    ``gluon.loss.CTCLoss()``.
    """

    def __init__(self, hidden=64, channels=(16, 32), num_classes=NUM_CLASSES, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential()
            for c in channels:
                self.features.add(nn.Conv2D(c, kernel_size=3, padding=1, activation="relu"),
                                  nn.MaxPool2D(pool_size=2))
            # each frame: channels x the rows left after the 2x2 poolings
            frame_size = channels[-1] * (IMAGE_SIZE[0] // 2 ** len(channels))
            self.lstm = rnn.LSTM(hidden, bidirectional=True, layout="NTC",
                                 input_size=frame_size)
            self.output = nn.Dense(num_classes, flatten=False)

    def hybrid_forward(self, F, x):
        x = F.expand_dims(x, axis=1)              # (N, 1, H, W)
        x = self.features(x)                      # (N, C, H', W')
        x = F.transpose(x, axes=(0, 3, 1, 2))     # (N, W', C, H'): one frame per column
        x = F.reshape(x, shape=(0, 0, -3))        # (N, T=W', C*H')
        x = self.lstm(x)                          # (N, T, 2*hidden)
        return self.output(x)                     # (N, T, classes)


def greedy_decode_strings(scores):
    """Best-path CTC decoding of ``(N, T, 11)`` scores into digit strings.

    Uses ``minigluon.ctc.greedy_decode`` (arg-max per frame, merge repeats,
    drop blanks; blank = last class).
    """
    from minigluon.ctc import greedy_decode

    decoded = greedy_decode(scores, blank="last")
    return ["".join(str(int(d)) for d in seq) for seq in decoded]


def predict_scores(net, images, ctx, batch_size=250):
    """Run ``net`` over ``images`` (numpy) in inference mode; numpy scores out."""
    outs = []
    for start in range(0, len(images), batch_size):
        x = mx.nd.array(images[start:start + batch_size], ctx=ctx)
        outs.append(net(x).asnumpy())
    return np.concatenate(outs)


def evaluate(net, images, labels, ctx):
    """Full-sequence accuracy, character error rate, predicted strings, scores."""
    scores = predict_scores(net, images, ctx)
    preds = greedy_decode_strings(scores)
    truths = [label_to_string(r) for r in labels]
    accuracy = float(np.mean([p == t for p, t in zip(preds, truths)]))
    cer = sum(edit_distance(p, t) for p, t in zip(preds, truths)) / sum(len(t) for t in truths)
    return accuracy, cer, preds, scores


# ---------------------------------------------------------------------- training
def train(net, images, labels, ctx, epochs, batch_size, lr, seed):
    """Adam + CTC over shuffled minibatches; returns the per-step losses."""
    from tqdm import tqdm

    loss_fn = gluon.loss.CTCLoss()
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": lr})
    order_rng = np.random.RandomState(seed)
    steps_per_epoch = len(images) // batch_size
    losses, running = [], None
    for epoch in range(epochs):
        order = order_rng.permutation(len(images))
        # redrawn every second on a terminal; into a log file only every 30 s (each redraw is a
        # line there)
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}/{epochs}", file=sys.stdout,
                   mininterval=1.0 if sys.stdout.isatty() else 30.0, dynamic_ncols=True)
        for step in bar:
            idx = order[step * batch_size:(step + 1) * batch_size]
            x = mx.nd.array(images[idx], ctx=ctx)
            y = mx.nd.array(labels[idx], ctx=ctx)
            with autograd.record():
                loss = loss_fn(net(x), y)
            loss.backward()
            trainer.step(batch_size)
            value = float(loss.mean().asscalar())
            losses.append(value)
            running = value if running is None else 0.9 * running + 0.1 * value
            bar.set_postfix(loss=f"{running:.3f}", refresh=False)
        bar.close()
    return losses


# ------------------------------------------------------------------------ outputs
def plot_curve(losses, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(losses, lw=0.6, alpha=0.5, label="minibatch")
    k = max(1, len(losses) // 50)
    if len(losses) >= k:
        smooth = np.convolve(losses, np.ones(k) / k, mode="valid")
        ax.plot(np.arange(k - 1, len(losses)), smooth, lw=1.5, label=f"mean of {k}")
    ax.set_xlabel("step")
    ax.set_ylabel("CTC loss (per captcha)")
    ax.set_yscale("log")
    ax.legend()
    ax.set_title("captcha OCR training")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_predictions(images, preds, truths, path, rows=4, cols=6):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(rows, cols, figsize=(cols * 2.0, rows * 1.0))
    for i, ax in enumerate(np.ravel(axes)):
        ax.axis("off")
        if i >= len(images):
            continue
        ax.imshow(1.0 - images[i], cmap="gray", vmin=0, vmax=1)
        ok = preds[i] == truths[i]
        ax.set_title(f"{preds[i] or '-'} / {truths[i]}", fontsize=8,
                     color="green" if ok else "red")
    fig.suptitle("held-out captchas: predicted / true", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def reload_check(out_dir, images, ref_preds, ref_scores, ctx, hidden):
    """Reload the saved parameters and the export; compare their predictions."""
    fresh = CaptchaNet(hidden=hidden)
    fresh.load_parameters(os.path.join(out_dir, "captcha_ocr.params"), ctx=ctx)
    imported = gluon.SymbolBlock.imports(
        os.path.join(out_dir, "captcha_ocr-symbol.json"), ["data"],
        os.path.join(out_dir, "captcha_ocr-0000.params"), ctx=ctx)
    results = {}
    for name, block in (("load_parameters", fresh), ("SymbolBlock.imports", imported)):
        scores = predict_scores(block, images, ctx)
        same = greedy_decode_strings(scores) == ref_preds
        diff = float(np.max(np.abs(scores - ref_scores)))
        results[name] = same
        print(f"reload check, {name}: {'same' if same else 'DIFFERENT'} predictions "
              f"on {len(images)} held-out captchas (max |score diff| {diff:.2e})")
    return all(results.values())


# --------------------------------------------------------------------------- main
# The packages the example needs beyond minigluon (module -> package; the "examples" extra), checked
# before any work: captcha is first imported in the worker processes, matplotlib after training
NEEDS = {"captcha": "captcha", "PIL": "pillow", "tqdm": "tqdm", "matplotlib": "matplotlib"}
QUICK = {"epochs": 2, "train_size": 1024, "test_size": 200}      # --quick, unless set explicitly
DEFAULTS = {"epochs": 8, "train_size": 12000, "test_size": 1000}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--epochs", type=int, default=argparse.SUPPRESS,
                   help="passes over the training set (default 8; 2 with --quick)")
    p.add_argument("--batch-size", type=int, default=64, help="captchas per training step")
    p.add_argument("--train-size", type=int, default=argparse.SUPPRESS,
                   help="training captchas (default 12000; 1024 with --quick)")
    p.add_argument("--test-size", type=int, default=argparse.SUPPRESS,
                   help="held-out captchas (default 1000; 200 with --quick)")
    p.add_argument("--hidden", type=int, default=64, help="LSTM units per direction")
    p.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate")
    p.add_argument("--seed", type=int, default=42, help="seed of the training data and the weights")
    p.add_argument("--out", default="captcha_out", help="output directory")
    p.add_argument("--ctx", choices=("cpu", "gpu"), default="cpu",
                   help="device; gpu needs CuPy (pip install \"minigluon[gpu]\")")
    p.add_argument("--workers", type=int, default=2, help="processes drawing captchas")
    p.add_argument("--no-hybridize", action="store_true", help="train eagerly")
    p.add_argument("--quick", action="store_true",
                   help="smoke run of well under a minute: too little training for a meaningful "
                        "accuracy; explicit --epochs/--train-size/--test-size still apply")
    args = p.parse_args(argv)
    for name, value in (QUICK if args.quick else DEFAULTS).items():
        if not hasattr(args, name):     # not given on the command line
            setattr(args, name, value)
    for name in ("epochs", "batch_size", "train_size", "test_size", "hidden", "workers"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be a positive integer")
    if args.train_size < args.batch_size:
        p.error("--train-size must be at least --batch-size")
    missing = [package for module, package in NEEDS.items() if importlib.util.find_spec(module) is None]
    if missing:
        p.error(f"this Python ({sys.executable}) lacks {', '.join(missing)}, which the example "
                f"needs: the README's first command installs them into .venv (pip install -e "
                f"\".[examples]\") and runs the example with .venv/bin/python")
    if args.ctx == "gpu":
        try:
            mx.gpu(0).xp      # fails early, with the fix, when CuPy or a device is missing
        except mx.MXNetError as err:
            p.error(str(err))
    return args


def main(argv=None):
    """Train, evaluate, save, reload; returns a dict of the results."""
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    print(f"drawing {args.train_size} training and {args.test_size} held-out captchas "
          f"({args.workers} processes)...", flush=True)
    train_x, train_y = make_captchas(args.train_size, args.seed, args.workers)
    test_x, test_y = make_captchas(args.test_size, HELD_OUT_SEED, args.workers)
    print(f"generated {args.train_size} training and {args.test_size} held-out captchas "
          f"in {time.time() - t0:.1f}s")

    ctx = mx.gpu(0) if args.ctx == "gpu" else mx.cpu()
    mx.random.seed(args.seed)
    np.random.seed(args.seed)
    net = CaptchaNet(hidden=args.hidden)
    net.initialize(mx.init.Xavier(), ctx=ctx)
    if not args.no_hybridize:
        net.hybridize(static_alloc=True, static_shape=True)

    t1 = time.time()
    losses = train(net, train_x, train_y, ctx, args.epochs, args.batch_size, args.lr, args.seed)
    train_s = time.time() - t1

    accuracy, cer, preds, scores = evaluate(net, test_x, test_y, ctx)
    truths = [label_to_string(r) for r in test_y]
    print(f"held-out ({args.test_size} captchas): full-sequence accuracy {accuracy:.2%}, "
          f"character error rate {cer:.2%}; training took {train_s:.0f}s")
    if args.quick:
        print("(--quick is a smoke run: too little training for a meaningful accuracy; "
              "the default run reaches about 97%)")

    plot_curve(losses, os.path.join(args.out, "training_curve.png"))
    plot_predictions(test_x, preds, truths, os.path.join(args.out, "predictions.png"))
    net.save_parameters(os.path.join(args.out, "captcha_ocr.params"))
    if args.no_hybridize:        # export needs the traced graph
        net.hybridize(static_alloc=True, static_shape=True)
        net(mx.nd.array(test_x[:1], ctx=ctx))
    net.export(os.path.join(args.out, "captcha_ocr"), epoch=0)
    reload_ok = reload_check(args.out, test_x, preds, scores, ctx, args.hidden)
    print("reload check: " + ("OK" if reload_ok else "FAILED"))
    result = {"losses": losses, "accuracy": accuracy, "cer": cer, "reload_ok": reload_ok,
              "train_seconds": train_s, "total_seconds": time.time() - t0}
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(result, f)
    print(f"outputs in {os.path.abspath(args.out)}; total {result['total_seconds']:.0f}s")
    return result


if __name__ == "__main__":
    sys.exit(0 if main()["reload_ok"] else 1)
