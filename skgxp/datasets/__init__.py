"""DREAM 2022 data bundled with skgxp, and a reader for the challenge's files.

The bundled files (demo training set, public-leaderboard labels and pairs, and
the human lentiMPRA and Drosophila STARR-seq samples of the challenge's
benchmarks) come from de-Boer-Lab/random-promoter-dream-challenge-2022, MIT
License, Copyright 2024 de Boer lab; see ``data/LICENSE-DREAM2022.txt``. The
JASPAR 2024 CORE fungi motifs are JASPAR data, CC BY 4.0 (Rauluseviciute et
al., Nucleic Acids Res. 2024); see ``data/LICENSE-JASPAR2024.txt``.
"""

from ._bundled import load_dream_demo, load_public_leaderboard, load_public_leaderboard_pairs
from ._jaspar import load_jaspar_fungi
from ._other_species import load_drosophila_starr_sample, load_human_mpra_sample
from ._reader import read_challenge_file

__all__ = [
    "load_dream_demo",
    "load_drosophila_starr_sample",
    "load_human_mpra_sample",
    "load_jaspar_fungi",
    "load_public_leaderboard",
    "load_public_leaderboard_pairs",
    "read_challenge_file",
]
