"""The DREAM 2022 yeast construct and the byte layout of encoded promoters.

The insert (17-bp 5' constant + 80 random bp + 13-bp 3' constant) sits in a
plasmid between the two vector flanks below (verbatim plasmid sequence, as in
BHI's ``data.py``). PromoterEncoder stores every insert *in* this context so
that vector padding and test-time shifts become a choice of window.

Compact code layout of one row (``CONTEXT_5P + length + CONTEXT_3P`` bytes)::

    [ 5' flank, 37 cols ][ insert, <= length cols ][ 3' flank, 76 cols ][ N ... ]

Insert bases are coded A=0 C=1 G=2 T=3 N=4; vector bases carry ``VECTOR_BIT``
(A=8 ... N=12), so the insert length of a row is the number of codes below 8.
Columns past the 3' flank of short inserts are vector N. The context widths are
fixed so the regressor can read the model length off the array width.
"""

FLANK_5P = "GCTAGCAGGAATGATGCAAAAGGTTCCCGATTCGAAC"
FLANK_3P = "TCTTAATTAAAAAAAGATAGAAAACATTAGGAGTGTAACACAAGACTTTCGGATCCTGAGCAGGCAAGATAAACGA"

#: Constant ends of every DREAM insert.
CONSTANT_5P = "TGCATTTTTTTCACATC"
CONSTANT_3P = "GGTTACGGCTGTT"

CONTEXT_5P = len(FLANK_5P)  # 37
CONTEXT_3P = len(FLANK_3P)  # 76
CONTEXT_WIDTH = CONTEXT_5P + CONTEXT_3P

BASES = "ACGTN"
VECTOR_BIT = 8
N_CODE = 4
VECTOR_N = VECTOR_BIT + N_CODE

#: BHI's padding draw (data.py): 3'-only if u1 < 0.333, else 5'-only if
#: u2 > 0.666, else both -> P = 0.333 / 0.2228 / 0.4442.
PAD_3P_THRESHOLD = 0.333
PAD_5P_THRESHOLD = 0.666

#: BHI's test-time shifts for ``--tta 5``; each with both strands gives 10 views.
TTA_SHIFTS = (-2, -1, 0, 1, 2)


def decode(codes):
    """Bases of insert or vector codes as a string (N where there is none)."""
    return "".join(BASES[c & (VECTOR_BIT - 1)] for c in codes)
