"""The transparency log as an evidence package needs it: one checkpoint and proofs against it."""

from __future__ import annotations

from collections.abc import Sequence

from weiquan.adapters.tlog.keys import Ed25519NoteVerifier, KeyStore
from weiquan.adapters.tlog.log import TransparencyLog
from weiquan.domain.errors import DomainError, NotFound
from weiquan.domain.tlog.checkpoint import parse_checkpoint
from weiquan.domain.tlog.notes import parse_signed_note, verify_note
from weiquan.domain.tlog.proof_bundle import TlogProof


class LogProofSource:
    """Implements ``weiquan.services.packages.ProofSource`` over a log and its public keys.

    Every proof is computed against the checkpoint the caller passes, not the log's current
    one, so a package stays consistent while the log grows underneath it.
    """

    def __init__(self, log: TransparencyLog, verifier_keys: Sequence[str]) -> None:
        self._log = log
        self._verifier_keys = list(verifier_keys)

    @classmethod
    def from_key_store(cls, log: TransparencyLog, keys: KeyStore) -> LogProofSource:
        return cls(log, keys.verifier_keys())

    def checkpoint(self) -> str:
        return self._log.checkpoint()

    def tlog_proof(self, index: int, *, checkpoint: str) -> str:
        size = parse_checkpoint(parse_signed_note(checkpoint).text).size
        path = self._log.inclusion_proof(index, size)
        return TlogProof(index, tuple(path), checkpoint).text()

    def verifier_key(self, checkpoint: str) -> str:
        for text in self._verifier_keys:
            try:
                verify_note(checkpoint, [Ed25519NoteVerifier.from_verifier_key(text)])
            except DomainError:
                continue
            return text
        raise NotFound("找不到签署当前检查点的日志公钥 (no known key signed the checkpoint)")
