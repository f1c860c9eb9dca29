"""Turn the lecture notebooks (jupytext percent-format ``NN_*.py``) into executed ``.ipynb`` files.

The notebooks are kept in git as text, without outputs.  This script writes
``build/notebooks/NN_*.ipynb``, each run top to bottom in a fresh ``python3`` kernel (nbclient),
so they carry their outputs and figures; a cell that raises stops the build with its traceback::

    python notebooks/_build.py                 # convert and execute every notebook
    python notebooks/_build.py 03 05           # only these (by number or name)
    python notebooks/_build.py --no-execute    # convert only (for pytest --nbmake, which executes)

The same module is the MkDocs hook of ``mkdocs.yml``: before mkdocs-jupyter renders the pages,
:func:`on_files` adds the executed notebooks to the site under ``notebooks/``, building those
whose ``.ipynb`` is missing, older than the ``.py``, or not executed.  So ``mkdocs build`` alone
works, and after CI has executed them once it only renders them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
OUT = ROOT / "build" / "notebooks"
TIMEOUT_S = 300            # per cell


def _target(src: Path) -> Path:
    return OUT / src.with_suffix(".ipynb").name


def is_fresh(src: Path, executed: bool = True) -> bool:
    """True when ``build/notebooks/<name>.ipynb`` is newer than ``src`` (and executed, if asked)."""
    target = _target(src)
    if not target.is_file() or target.stat().st_mtime < src.stat().st_mtime:
        return False
    if not executed:
        return True
    import nbformat

    cells = nbformat.read(target, as_version=4).cells        # executed here, by nbmake --overwrite, ...
    return all(c.get("execution_count") is not None for c in cells if c.cell_type == "code")


def build(src: Path, execute: bool = True, force: bool = False) -> Path:
    """Write ``build/notebooks/<name>.ipynb`` from ``src``; executed in ``notebooks/`` when ``execute``."""
    import jupytext
    import nbformat

    target = _target(src)
    if not force and is_fresh(src, executed=execute):
        return target
    nb = jupytext.read(src)
    if execute:
        from nbclient import NotebookClient

        before = dict(os.environ)
        # the kernel inherits these: figures inline; one BLAS thread (two stall on a busy 2-core machine)
        os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        os.environ["PYTHONWARNINGS"] = "ignore:IProgress not found"       # tqdm without ipywidgets
        try:
            NotebookClient(nb, timeout=TIMEOUT_S, kernel_name="python3",
                           resources={"metadata": {"path": str(src.parent)}}).execute()
        finally:
            os.environ.clear()
            os.environ.update(before)
    OUT.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=OUT, suffix=".ipynb.tmp")    # written whole, then renamed
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        nbformat.write(nb, f)
    os.replace(tmp, target)
    return target


def select(names: list[str]) -> list[Path]:
    """The sources whose file name starts with one of ``names`` (all when empty)."""
    chosen = [s for s in SOURCES if not names or any(s.name.startswith(n) for n in names)]
    if not chosen:
        raise SystemExit(f"no notebook matches {names}; there are: {', '.join(s.name for s in SOURCES)}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebook numbers or names (default: all)")
    parser.add_argument("--no-execute", action="store_true", help="convert only")
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    args = parser.parse_args(argv)
    total = time.perf_counter()
    for src in select(args.names):
        start = time.perf_counter()
        target = build(src, execute=not args.no_execute, force=args.force)
        print(f"{target.relative_to(ROOT)}  {time.perf_counter() - start:6.1f} s", flush=True)
    print(f"notebooks: {time.perf_counter() - total:.1f} s in all")
    return 0


# -- the MkDocs hook (mkdocs.yml: hooks) -------------------------------------------------------------
try:
    from mkdocs.plugins import event_priority
except ImportError:                     # running as a script without MkDocs installed
    def event_priority(priority):
        return lambda fn: fn


@event_priority(100)                    # before mkdocs-jupyter's on_files turns .ipynb files into pages
def on_files(files, config):
    """Add every executed notebook to the site as ``notebooks/<name>.ipynb``."""
    from mkdocs.structure.files import File

    for src in SOURCES:
        path = build(src)
        files.append(File(f"notebooks/{path.name}", src_dir=str(OUT.parent), dest_dir=config["site_dir"],
                          use_directory_urls=config["use_directory_urls"]))
    return files


if __name__ == "__main__":
    sys.exit(main())
