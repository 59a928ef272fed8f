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
    return EXIT_OK
