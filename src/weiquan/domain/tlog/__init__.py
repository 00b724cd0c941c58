"""The transparency log, pure part: RFC 6962/9162 Merkle trees, proofs, C2SP checkpoints,
signed notes, tlog-tiles coordinates and tlog-proof bundles.  Standard library only.

Edge-case policy (the RFC leaves some cases open; this is what the code does and the tests pin):

Hashes
  * A leaf hash, and every hash of an inclusion or consistency path, must be exactly 32 bytes;
    anything else fails verification.  (Without the leaf check an empty leaf and an empty root
    would pass for a one-leaf tree.)
  * Root lengths are enforced where roots enter the system: a checkpoint whose root is not 32
    bytes does not parse.  The proof verifiers themselves compare roots byte for byte, which
    keeps them identical to transparency-dev/merkle on its 196 published probes.

Inclusion (RFC 9162 §2.1.3)
  * ``index >= size`` fails, so nothing is ever included in the empty tree.
  * Every ``sn == 0`` check is kept: a path one node too long fails inside the loop, one node
    too short fails at the end.  Without them one proof would pass for several tree sizes.
  * Generation refuses an index outside the tree instead of returning an empty path.

Consistency (RFC 9162 §2.1.4)
  * ``old > new`` fails.
  * ``old == 0`` fails: the empty tree commits to nothing, so the proof says nothing (this
    follows transparency-dev/merkle; the early CT Python code accepted it).  Comparing two
    *checkpoints* is different: every tree extends the empty tree, so
    ``verify_checkpoints_consistent`` accepts an older checkpoint of size 0 whose root is the
    empty root, with an empty proof.
  * ``old == new`` passes only with an empty proof and byte-equal roots.
  * An empty proof for ``0 < old < new`` fails; a power-of-two ``old`` gets its root prepended
    as RFC 9162 step 2 says; every ``sn == 0`` check is kept.

Checkpoints and notes
  * Tree sizes are ASCII decimal without leading zeros; roots are strict base64 of 32 bytes.
  * Signatures from unknown keys are ignored; a known key that fails rejects the whole note;
    no verified known signature rejects the note; up to 100 signatures are read.
  * Unless told otherwise, a checkpoint's origin must equal the name of the key that verified
    it (the log names its key after its origin).

Tiles
  * Only canonical tile paths parse (``x``-prefixed three-digit groups, no leading ``x000``,
    widths 1–255 without leading zeros), so every tile has one URL.
  * A tile the tree does not yet hold in full is only available as a partial tile of a width
    the tree has reached.
"""

from weiquan.domain.tlog.checkpoint import (
    Checkpoint,
    open_checkpoint,
    parse_checkpoint,
    verify_checkpoints_consistent,
)
from weiquan.domain.tlog.hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash
from weiquan.domain.tlog.leaves import canonical_json, log_entry, salted_commitment
from weiquan.domain.tlog.notes import (
    NoteSigner,
    NoteVerifier,
    SignedNote,
    VerifierKey,
    compute_key_id,
    parse_signed_note,
    parse_verifier_key,
    sign_note,
    verify_note,
)
from weiquan.domain.tlog.proof_bundle import TlogProof, parse_tlog_proof, verify_tlog_proof
from weiquan.domain.tlog.proofs import (
    NodeReader,
    consistency_path,
    inclusion_path,
    root_from_inclusion_path,
    subtree_root,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from weiquan.domain.tlog.tiles import (
    MAX_ENTRY_SIZE,
    TILE_WIDTH,
    TiledNodeReader,
    TileRef,
    encode_tile_index,
    format_entry_bundle,
    parse_entry_bundle,
    parse_tile_path,
    tile_width,
)
from weiquan.domain.tlog.tree import CompactRange, MemoryTree, aligned_subtrees, split_point

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MAX_ENTRY_SIZE",
    "TILE_WIDTH",
    "Checkpoint",
    "CompactRange",
    "MemoryTree",
    "NodeReader",
    "NoteSigner",
    "NoteVerifier",
    "SignedNote",
    "TileRef",
    "TiledNodeReader",
    "TlogProof",
    "VerifierKey",
    "aligned_subtrees",
    "canonical_json",
    "compute_key_id",
    "consistency_path",
    "encode_tile_index",
    "format_entry_bundle",
    "inclusion_path",
    "leaf_hash",
    "log_entry",
    "node_hash",
    "open_checkpoint",
    "parse_checkpoint",
    "parse_entry_bundle",
    "parse_signed_note",
    "parse_tile_path",
    "parse_tlog_proof",
    "parse_verifier_key",
    "root_from_inclusion_path",
    "salted_commitment",
    "sign_note",
    "split_point",
    "subtree_root",
    "tile_width",
    "tree_root",
    "verify_checkpoints_consistent",
    "verify_consistency",
    "verify_inclusion",
    "verify_note",
    "verify_tlog_proof",
]
