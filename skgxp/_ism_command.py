"""``skgxp ism``: saturation mutagenesis of the sequences of a file, as NumPy arrays."""

import sys

import numpy as np

from ._cli_errors import EXIT_OK, CommandError
from ._cli_io import encode_sequences, encoding_report, read_sequences
from ._variants_command import interpreted_model

_SUFFIXES = (".npz", ".npy")


def ism(args):
    """``skgxp ism``: every single substitution's effect, written to .npz or .npy."""
    from ._predict_command import _target_names
    from .interpret import saturation_mutagenesis

    if not args.out.endswith(_SUFFIXES):
        raise CommandError(f"--out must name a .npz or .npy file; got {args.out!r}.")
    if args.motifs is not None:
        try:
            import memelite  # noqa: F401
        except ImportError:
            raise CommandError("--motifs needs memelite; install it with pip install "
                               "'skgxp[interpret]'.") from None
    model, encoder, regressor = interpreted_model(args)
    X, _ = read_sequences(args.seqs, args.sequence_column, None)
    encode_sequences(encoder, X, args.seqs)  # a bad sequence is reported with its line
    effects = saturation_mutagenesis(model, X)
    if args.out.endswith(".npy"):
        np.save(args.out, effects)
    else:
        np.savez(args.out, effects=effects, sequences=np.asarray(X, dtype=str),
                 prediction=model.predict(X),
                 targets=np.asarray(_target_names(args.model_dir, regressor.n_outputs_)))
    print(encoding_report(encoder), file=sys.stderr)
    print(f"wrote the effects of {len(X):,} x {3 * effects.shape[-1]} substitutions "
          f"({args.tta} views), shape {effects.shape}, to {args.out}", file=sys.stderr)
    if args.motifs is not None:
        # The bases the maps are of: the insert as the encoder keeps it.
        length = effects.shape[-1]
        kept = [s[-length:] if encoder.trim == "5p" else s[:length] for s in X]
        _write_motifs(effects, kept, _target_names(args.model_dir, regressor.n_outputs_),
                      args.motifs)
    return EXIT_OK


def _write_motifs(effects, X, targets, path):
    """match_motifs of each target's maps as one TSV (a ``target`` column for several)."""
    import pandas as pd

    from .interpret import match_motifs

    if effects.ndim == 3:
        table = match_motifs(effects, X)
    else:
        tables = [match_motifs(effects[:, j], X) for j in range(effects.shape[1])]
        table = pd.concat([t.assign(target=name) for t, name in zip(tables, targets)],
                          ignore_index=True)
        table = table[["target", *table.columns[:-1]]]
    try:
        table.to_csv(path, sep="\t", index=False)
    except OSError as exc:
        raise CommandError(f"cannot write --motifs {path}: {exc.strerror}.") from None
    seqlets = len(table.drop_duplicates([c for c in ("target", "sequence", "seqlet")
                                         if c in table]))
    print(f"wrote {len(table):,} motif matches of {seqlets:,} seqlets to {path}",
          file=sys.stderr)
