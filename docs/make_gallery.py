"""Regenerate the figures (and numbers) of the experiments gallery, ``docs/experiments.md``.

Runs every registered lecture experiment (``abcdl.experiments.names()``) with its
default parameters -- the lecture's values -- and writes

* ``docs/experiments/NAME.png``: the figure (``Result.save``: a 256-colour PNG),
* ``docs/experiments/numbers/NAME.json``: the run's ``Result.to_json()``, the same
  as ``abcdl demo NAME --json`` prints (only when under 32 KB: optimizers-2d's
  numbers hold whole trajectories),
* ``docs/experiments/gd-1d.ko.png`` (and the others named by ``--ko``): the
  figure with Korean labels (``lang="ko"``; needs a Hangul font, e.g. fonts-nanum).

A figure whose PNG would exceed ``--max-kb`` (190 KB) at ``--dpi`` is re-rendered
at lower dpi until it fits, and the script says so.  MNIST is read from
``ABCDL_DATA`` when set, else the copy shipped with abcdl.  Multi-threaded BLAS gains nothing on these
small problems and stalls on a busy machine, so one BLAS thread is the default
(set ``OPENBLAS_NUM_THREADS`` yourself to override it).

Run from the repository root::

    python docs/make_gallery.py                 # everything
    python docs/make_gallery.py mle gd-1d       # some experiments
    python docs/make_gallery.py --list                                   # what it would run
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")     # before NumPy is imported

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "experiments"
DEFAULT_KO = ("gd-1d",)
MAX_KB = 190.0
MAX_JSON_KB = 32.0      # numbers files larger than this (e.g. whole trajectories) are not kept
DPI_STEPS = (100, 90, 80, 72)


def save_under(result, path: Path, dpi: float, max_kb: float) -> tuple[float, float]:
    """Save ``result``'s figure to ``path`` at ``dpi``, lowering dpi until the PNG is under ``max_kb``.

    Returns ``(dpi used, size in KB)``; raises ``RuntimeError`` if even the lowest dpi is too big.
    """
    from abcdl._io import atomic_write

    tries = [dpi] + [d for d in DPI_STEPS if d < dpi]
    for d in tries:
        data = result.render_png(dpi=d)
        kb = len(data) / 1024
        if kb <= max_kb:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, data)
            return d, kb
    raise RuntimeError(f"{path.name}: {kb:.0f} KB even at dpi {tries[-1]} (limit {max_kb:.0f} KB)")


def write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, final newline) to ``path`` atomically."""
    from abcdl._io import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, (text.rstrip("\n") + "\n").encode("utf-8"))


def write_numbers(path: Path, text: str) -> None:
    """Write a run's JSON to ``path`` if under ``MAX_JSON_KB``; else remove any stale copy and say so."""
    kb = len(text.encode("utf-8")) / 1024
    if kb > MAX_JSON_KB:
        path.unlink(missing_ok=True)
        print(f"{path.name}: not written ({kb:.0f} KB > {MAX_JSON_KB:g} KB; "
              f"`abcdl demo {path.stem} --json` prints it)", flush=True)
        return
    write_text(path, text)


def make_one(name: str, out: Path, *, lang: str, dpi: float, max_kb: float, numbers: bool) -> None:
    """Run experiment ``name`` with its defaults in ``lang`` and write its PNG (and JSON for "en")."""
    from abcdl import experiments

    t0 = time.perf_counter()
    result = experiments.run(name, lang=lang)
    seconds = time.perf_counter() - t0
    if lang != "en" and result.lang != lang:
        raise RuntimeError(f"{name}: asked for lang={lang!r} but the figure fell back to {result.lang!r} "
                           "(no Hangul font installed? apt-get install fonts-nanum)")
    suffix = "" if lang == "en" else f".{lang}"
    png = out / f"{name}{suffix}.png"
    used_dpi, kb = save_under(result, png, dpi, max_kb)
    result.figure.clear()
    note = "" if used_dpi == dpi else f"  (lowered from dpi {dpi:g} to fit {max_kb:g} KB)"
    print(f"{png}: {kb:.0f} KB, "
          f"dpi {used_dpi:g}, run {seconds:.1f} s{note}", flush=True)
    if lang == "en":
        print(result.summary(), flush=True)
        if numbers:
            write_numbers(out / "numbers" / f"{name}.json", result.to_json())


def main(argv: list[str] | None = None) -> int:
    from abcdl import experiments

    p = argparse.ArgumentParser(description="Regenerate docs/experiments/*.png (the experiments gallery).")
    p.add_argument("names", nargs="*", metavar="NAME", help="experiments to run (default: all registered)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"folder (default {DEFAULT_OUT})")
    p.add_argument("--dpi", type=float, default=100.0, help="figure resolution (default 100)")
    p.add_argument("--max-kb", type=float, default=MAX_KB, help=f"largest PNG in KB (default {MAX_KB:g})")
    p.add_argument("--ko", default=",".join(DEFAULT_KO),
                   help="comma list of experiments also rendered with Korean labels as NAME.ko.png "
                        f"(default {','.join(DEFAULT_KO)}; '' for none)")
    p.add_argument("--no-numbers", action="store_true", help="do not write numbers/NAME.json")
    p.add_argument("--list", action="store_true", help="print what would be run and exit")
    args = p.parse_args(argv)

    known = experiments.names()
    names = args.names or known
    ko = [k for k in args.ko.split(",") if k]
    unknown = [n for n in [*names, *ko] if n not in known]
    if unknown:
        p.error(f"unknown experiment(s) {', '.join(unknown)}; choose from: {', '.join(known)}")
    if args.names:                         # with explicit names, Korean only for those among them
        ko = [k for k in ko if k in names]
    jobs = [(n, "en") for n in names] + [(k, "ko") for k in ko]
    if args.list:
        for n, lang in jobs:
            print(f"{n} ({lang})")
        return 0
    for n, lang in jobs:
        make_one(n, args.out, lang=lang, dpi=args.dpi, max_kb=args.max_kb, numbers=not args.no_numbers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
