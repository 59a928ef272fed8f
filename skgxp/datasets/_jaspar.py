"""The bundled JASPAR 2024 CORE fungi motifs (CC BY 4.0), read from their MEME file."""

import gzip
from importlib import resources

import numpy as np

_FILE = "jaspar2024_core_fungi_nonredundant.meme.gz"


def load_jaspar_fungi():
    """Load the JASPAR 2024 CORE fungi non-redundant motifs (178 matrices).

    Position probability matrices of transcription factors of fungi, almost
    all *Saccharomyces cerevisiae*, from JASPAR 2024 (CORE collection,
    non-redundant set), as MEME's ``letter-probability`` matrices: each
    column sums to 1. The default motifs of
    :func:`skgxp.interpret.match_motifs`.

    Returns
    -------
    motifs : dict of str to (str, ndarray of shape (4, width))
        JASPAR matrix id (e.g. ``"MA0363.3"``) to the factor's name (e.g.
        ``"REB1"``) and its matrix, rows A, C, G, T, float64, in the file's
        order.

    Notes
    -----
    JASPAR data are licensed under CC BY 4.0
    (https://creativecommons.org/licenses/by/4.0/); the file is bundled
    unchanged (gzip-compressed), see ``data/LICENSE-JASPAR2024.txt``. Cite
    Rauluseviciute et al., "JASPAR 2024: 20th anniversary of the open-access
    database of transcription factor binding profiles", Nucleic Acids Res.
    52(D1), D174-D182 (2024), doi:10.1093/nar/gkad1059.

    Examples
    --------
    >>> from skgxp.datasets import load_jaspar_fungi
    >>> motifs = load_jaspar_fungi()
    >>> len(motifs)
    178
    >>> name, pwm = motifs["MA0363.3"]
    >>> name, pwm.shape
    ('REB1', (4, 9))
    >>> "".join("ACGT"[i] for i in pwm.argmax(axis=0))
    'ATTACCCGG'
    """
    path = resources.files("skgxp.datasets") / "data" / _FILE
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="ascii") as handle:
        return read_meme_text(handle)


def read_meme_text(lines):
    """``{id: (name, (4, width) matrix)}`` from the lines of a MEME motif file.

    The reader of this one bundled file (memelite's ``read_meme`` opens a
    path and keeps ``"id name"`` as one key): each ``MOTIF id name`` line,
    then its ``letter-probability matrix: ... w= width`` line and ``width``
    rows of four probabilities.
    """
    motifs, lines = {}, iter(lines)
    for line in lines:
        if not line.startswith("MOTIF"):
            continue
        fields = line.split()
        motif_id = fields[1]
        name = " ".join(fields[2:]) or motif_id
        header = next(line for line in lines if line.startswith("letter-probability"))
        words = header.replace("=", "= ").split()
        width = int(words[words.index("w=") + 1])
        rows = [next(lines).split() for _ in range(width)]
        motifs[motif_id] = (name, np.array(rows, dtype=np.float64).T.copy())
    return motifs
