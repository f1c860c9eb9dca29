"""``abcdl predict MODEL --prompt TEXT``: a language model continues a text (L40).

    abcdl predict runs/shakespeare-lstm-20250101-120000 --prompt "the king" --length 30
    abcdl predict model.safetensors --prompt "ROMEO:" --temperature 0.5 --seed 1

The prompt is cut into tokens with the vocabulary stored in the checkpoint (words
outside it become ``<unk>``), read once, and each next token is drawn from
softmax(z / temperature) and fed back (:func:`abcdl.lm.generate`; ``<unk>`` is never drawn).
"""

from __future__ import annotations

import json
import sys

from .. import lm
from ..checkpoint import load, read_info
from ..text import Vocabulary
from . import CLIError

__all__ = ["language_model_info", "continue_prompt"]

MAX_LENGTH = 10_000


def language_model_info(path) -> dict | None:
    """The checkpoint's info when ``path`` holds a language model of ``abcdl train``, else None."""
    info = read_info(path)
    return info if info.get("task") == "language-model" else None


def continue_prompt(path, info: dict, args) -> int:
    """Print the prompt and its continuation (or JSON with ``--json``)."""
    try:
        vocab = Vocabulary.from_dict(info.get("vocabulary"))
    except ValueError as exc:
        raise CLIError(f"{path}: the stored vocabulary is damaged: {exc}") from exc
    if not 1 <= args.length <= MAX_LENGTH:
        raise CLIError(f"--length must be in [1, {MAX_LENGTH:,}], got {args.length}")
    if args.prompt is None:
        raise CLIError(f"{path} is a language model: give the text to continue with --prompt TEXT")
    if not (args.prompt.strip() if vocab.level == "word" else args.prompt):
        raise CLIError("--prompt is empty: give the text to continue, e.g. --prompt \"the king\"")
    model = load(path)
    prompt = vocab.encode(args.prompt)
    try:
        ids = lm.generate(model, prompt, args.length, temperature=args.temperature, skip_ids=(0,),
                          rng=args.seed)
    except ValueError as exc:
        raise CLIError(f"{path}: {exc}") from exc
    unknown = [w for w, i in zip(vocab.tokenize(args.prompt), prompt, strict=True) if i == 0]
    sep = "" if vocab.level == "char" else " "
    continuation = vocab.decode(ids)
    if args.json:
        print(json.dumps({"model": str(path), "prompt": args.prompt, "continuation": continuation,
                          "tokens": ids.tolist(), "unknown": unknown, "temperature": args.temperature},
                         indent=2, ensure_ascii=False))
        return 0
    if unknown:
        print(f"note: not in the vocabulary, read as <unk>: {', '.join(unknown[:10])}", file=sys.stderr)
    print(args.prompt + sep + continuation)
    return 0
