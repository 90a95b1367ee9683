"""``actscope.analyze``: the ``actscope analyze`` command in-process (the same Rust library function)."""

from __future__ import annotations

import numbers
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple, Union

from . import _native

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class Analysis:
    """What :func:`analyze` wrote, and the diagnosis behind its pages."""

    #: One run directory per model and seed (``records.jsonl``, ``capture.json``, ...), readable by
    #: ``actscope plot`` and ``actscope summarize``.
    runs: Tuple[Path, ...]
    #: Runs left out of the figures, ``actscope plot`` and ``summarize`` (their layers do not share one
    #: activation actscope knows and one BN placement), each said in a warning by :func:`analyze`.
    not_plotted: Tuple[str, ...]
    #: The figure files (PNG and/or SVG, with the CSV behind each).
    figures: Tuple[Path, ...]
    #: The diagnosis page (HTML; its figures are the files under ``figures/`` beside it).
    html: Path
    #: The same in Markdown.
    markdown: Path
    #: Per model: ``model``, ``activation``, ``placement``, ``seeds``, ``last_step``, ``notes`` (e.g.
    #: that its seeds end at different steps, so the rules are judged at the last step they share), ``loss`` and
    #: ``layers``, each hidden layer a dict with ``layer`` (1-based), ``name``, ``label`` ("layer 1 (fc1)", or
    #: "layer 1 (module 0)" for a module named by its position in a sequence), ``units``, ``saturation``,
    #: ``dead_fraction``, ``grad_ratio`` (its weight-gradient norm over the output layer's),
    #: ``effective_rank`` (means over seeds at the last checkpoint; None where not measured) and
    #: ``findings`` (sentences such as "41% of units dead since step 200").
    models: Tuple[Dict[str, Any], ...]
    #: Paired comparisons between every two models on the seeds both have: ``quantity``, ``comparison``
    #: ("a vs b: quantity", followed by "(last checkpoints at different steps: …)" or "(different probe
    #: batches)" where that holds), ``claim`` ("quantity: a > b"), ``mean_a``, ``mean_b``, ``p`` (one-sided,
    #: paired t-test) and ``verdict`` (the report's rule: supported, refuted, inconclusive, ...).
    comparisons: Tuple[Dict[str, Any], ...]
    #: Run directories of an earlier analysis into the same ``out`` that this one does not have (other
    #: models or seeds), removed so that the figures and ``summarize`` see this analysis's runs only.
    removed: Tuple[str, ...] = ()
    #: Pairs of models left out of :attr:`comparisons`, each with why (e.g. "a vs b: not compared, they share
    #: 1 seed (seeds of a: 0; of b: 0) and a comparison paired by seed needs two").
    not_compared: Tuple[str, ...] = ()

    def findings(self) -> List[str]:
        """Every finding as one line: ``model: note`` for what qualifies a model's findings (e.g. seeds that
        end at different steps), then ``model, layer N (name): finding``, then the pairs of models not
        compared, with why."""
        notes = [f"{m['model']}: {n}" for m in self.models for n in m["notes"]]
        return notes + [
            f"{m['model']}, {layer['label']}: {f}"
            for m in self.models
            for layer in m["layers"]
            for f in layer["findings"]
        ] + list(self.not_compared)


def _capture_files(captures) -> List[Path]:
    """A path or a sequence of them; directories are read as their ``*.safetensors`` by the Rust side."""
    if isinstance(captures, bytes):
        captures = os.fsdecode(captures)
    items = [captures] if isinstance(captures, (str, os.PathLike)) else list(captures)
    bad = [item for item in items if not isinstance(item, (str, bytes, os.PathLike))]
    if bad:
        raise TypeError(f"captures: expected paths (str or os.PathLike), got {bad[0]!r}")
    return [Path(os.fsdecode(item) if isinstance(item, bytes) else item) for item in items]


def _out_and_formats(out, formats) -> Tuple[Path, List[str]]:
    """``out`` as a path (None is refused: it had become a folder named "None"), and ``formats`` as a list
    (one format given as a string is that format, not its letters)."""
    if not isinstance(out, (str, bytes, os.PathLike)):
        raise TypeError(f"out: expected the folder to write into (str or os.PathLike), got {out!r}")
    out = Path(os.fsdecode(out) if isinstance(out, bytes) else out)
    formats = [formats] if isinstance(formats, str) else list(formats)
    bad = [f for f in formats if not isinstance(f, str)]
    if bad:
        raise TypeError(f"formats: expected format names such as 'png' and 'svg', got {bad[0]!r}")
    return out, formats


def analyze(captures, out: PathLike, formats: Sequence[str] = ("png", "svg"),
            notes: Sequence[Tuple[str, int, str]] = ()) -> Analysis:
    """Analyses captures (``docs/capture.md``) into ``out``, as ``actscope analyze CAPTURE... --out OUT`` does:
    per-layer records, a run directory per model and seed, figures, and ``diagnosis.html`` / ``diagnosis.md``.

    ``captures`` is a file, a directory of captures, or a sequence of either. A capture that breaks the
    format raises ``ValueError`` naming the file and the tensor or field; file-system errors ``OSError``.
    A run that gets no figures (its layers do not share one activation actscope knows and one BN placement:
    mixed activations, BatchNorm in some layers only, an ``unknown`` activation) is said in a ``UserWarning``,
    as the command says it in a note, and listed in :attr:`Analysis.not_plotted`.

    ``notes`` are what no capture holds about a run, as ``(model, seed, sentence)`` (e.g. that the network
    diverged after its last capture; the :class:`~actscope.torch.Monitor` passes its own): the diagnosis gives
    each among its model's notes as "seed s: sentence". A note on a model and seed without captures raises
    ``ValueError`` before anything is written.
    """
    checked = []
    for n in notes:
        if not (isinstance(n, tuple) and len(n) == 3):
            raise TypeError(f"analyze: each note is a (model, seed, sentence) tuple, got {n!r}")
        model, seed, sentence = n
        if not isinstance(model, str) or not isinstance(sentence, str) or not sentence.strip():
            raise TypeError(f"analyze: a note's model and sentence are non-empty strings, got {n!r}")
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**64:
            raise ValueError(f"analyze: a note's seed is an int from 0 to 2**64 - 1, got {seed!r} in {n!r}")
        checked.append((model, int(seed), sentence))
    return _analyze_files(captures, out, formats, stacklevel=3, notes=checked)


def _analyze_files(captures, out: PathLike, formats: Sequence[str], stacklevel: int,
                   notes: Sequence[Tuple[str, int, str]] = ()) -> Analysis:
    """:func:`analyze`, its warnings pointing ``stacklevel`` frames up (the caller's code); ``notes`` on runs,
    ``(model, seed, note)``, are said among their model's notes."""
    files = _capture_files(captures)
    out, formats = _out_and_formats(out, formats)
    runs, not_plotted, figures, html, md, models, comparisons, removed, not_compared = _native.analyze(
        [str(f) for f in files], str(out), [str(f) for f in formats], list(notes))
    if removed:
        # As the command's note: an analysis replaces an earlier one in the same `out` (a report per seed into
        # one folder keeps the last seed only), which a user should hear of.
        warnings.warn(f"replaced the earlier analysis in {out}: removed its runs {', '.join(removed)} (not among "
                      "these captures); analyse every model and seed together to keep them", UserWarning,
                      stacklevel=stacklevel)
    for name in not_plotted:
        warnings.warn(f"{name}: its layers do not share one activation actscope knows and one BN placement, so the "
                      "report has no figures of it, and `actscope plot` and `summarize` leave it out (its "
                      "records.jsonl and the diagnosis have it)", UserWarning, stacklevel=stacklevel)
    return Analysis(
        runs=tuple(Path(r) for r in runs),
        not_plotted=tuple(not_plotted),
        figures=tuple(Path(f) for f in figures),
        html=Path(html),
        markdown=Path(md),
        models=tuple(models),
        comparisons=tuple(comparisons),
        removed=tuple(removed),
        not_compared=tuple(not_compared),
    )
