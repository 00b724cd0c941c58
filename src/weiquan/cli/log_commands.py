"""`weiquan log …` — check the transparency log offline or against its tiles.

Every command exits 0 when the check passes and 1 with the reason when it does not.  Keys are
given as verifier-key text (``name+keyid+base64``) or as a file holding one; repeat ``--key`` to
trust the keys a log had before a rotation.
"""

from pathlib import Path
from typing import Annotated

import typer

from weiquan.adapters.tlog import Ed25519NoteVerifier, HttpTileFetcher
from weiquan.adapters.tlog.keys import key_texts_in
from weiquan.domain.errors import DomainError
from weiquan.domain.tlog import (
    Checkpoint,
    TiledNodeReader,
    consistency_path,
    leaf_hash,
    open_checkpoint,
    parse_tlog_proof,
    verify_checkpoints_consistent,
    verify_tlog_proof,
)
from weiquan.domain.tlog.proof_bundle import ConsistencyProofFile, parse_consistency_proof
from weiquan.domain.tlog.tiles import audit_tiles

log_app = typer.Typer(
    help="Verify transparency-log proofs and checkpoints (offline or from a log's tiles).",
    no_args_is_help=True,
)

KeyOption = Annotated[
    list[str],
    typer.Option("--key", help="The log's verifier key, or a file holding it; repeatable."),
]
OriginOption = Annotated[
    str | None, typer.Option(help="Expected log origin (default: the trusted key's name).")
]
LogUrlOption = Annotated[
    str | None, typer.Option(help="The log's tiles prefix, e.g. https://host/log")
]


def _verifiers(keys: list[str]) -> list[Ed25519NoteVerifier]:
    """Each --key is a key or a file of keys, one per line (the log's published key history)."""
    texts: list[str] = []
    for key in keys:
        texts.extend(key_texts_in(Path(key).read_text()) if Path(key).is_file() else [key])
    return [Ed25519NoteVerifier.from_verifier_key(text) for text in texts]


def _fail(reason: str) -> typer.Exit:
    typer.echo(f"FAILED: {reason}", err=True)
    return typer.Exit(1)


def _read(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise _fail(f"cannot read {path}: {error}") from error


@log_app.command("verify-proof")
def verify_proof(
    proof_file: Annotated[Path, typer.Argument(help="A .tlog-proof file")],
    *,
    key: KeyOption,
    entry: Annotated[Path | None, typer.Option(help="The logged entry's bytes")] = None,
    leaf: Annotated[str | None, typer.Option(help="Or its RFC 6962 leaf hash, in hex")] = None,
    origin: OriginOption = None,
) -> None:
    """Check that an entry is in the log: the checkpoint's signature, then the inclusion path."""
    if (entry is None) == (leaf is None):
        raise _fail("give exactly one of --entry and --leaf")
    try:
        hashed = leaf_hash(entry.read_bytes()) if entry is not None else bytes.fromhex(leaf or "")
        proof = parse_tlog_proof(_read(proof_file))
        checkpoint = verify_tlog_proof(
            proof, leaf_hash=hashed, verifiers=_verifiers(key), origin=origin
        )
    except (DomainError, ValueError, OSError) as error:
        raise _fail(getattr(error, "message", str(error))) from error
    typer.echo(f"OK: entry {proof.index} is in {checkpoint.origin} at tree size {checkpoint.size}")


@log_app.command("verify-consistency")
def verify_consistency(
    old: Annotated[Path, typer.Argument(help="The older signed checkpoint")],
    new: Annotated[Path, typer.Argument(help="The newer signed checkpoint")],
    *,
    key: KeyOption,
    proof: Annotated[Path | None, typer.Option(help="A consistency proof file")] = None,
    log_url: LogUrlOption = None,
    origin: OriginOption = None,
) -> None:
    """Check that NEW extends OLD: nothing logged before OLD was changed or removed.

    The proof comes from --proof (offline) or is computed from the log's tiles (--log-url);
    tiles are not trusted, since the proof must reproduce both signed roots.
    """
    if (proof is None) == (log_url is None):
        raise _fail("give exactly one of --proof and --log-url")
    try:
        verifiers = _verifiers(key)
        older = open_checkpoint(_read(old), verifiers, origin=origin)
        newer = open_checkpoint(_read(new), verifiers, origin=origin)
        if proof is not None:
            path = _proof_from_file(proof, older, newer)
        else:
            path = _proof_from_tiles(log_url or "", older, newer)
        verify_checkpoints_consistent(older, newer, path)
    except (DomainError, ValueError, OSError) as error:
        raise _fail(getattr(error, "message", str(error))) from error
    typer.echo(f"OK: {newer.origin} at size {newer.size} extends size {older.size}")


@log_app.command("prove-consistency")
def prove_consistency(
    old: Annotated[Path, typer.Argument(help="The older signed checkpoint")],
    new: Annotated[Path, typer.Argument(help="The newer signed checkpoint")],
    *,
    key: KeyOption,
    log_url: Annotated[str, typer.Option(help="The log's tiles prefix, e.g. https://host/log")],
    out: Annotated[Path, typer.Option(help="Where to write the proof file")],
    origin: OriginOption = None,
) -> None:
    """Fetch a consistency proof from the log's tiles, check it, and keep it for later."""
    try:
        verifiers = _verifiers(key)
        older = open_checkpoint(_read(old), verifiers, origin=origin)
        newer = open_checkpoint(_read(new), verifiers, origin=origin)
        path = _proof_from_tiles(log_url, older, newer)
        verify_checkpoints_consistent(older, newer, path)
    except (DomainError, ValueError, OSError) as error:
        raise _fail(getattr(error, "message", str(error))) from error
    out.write_text(ConsistencyProofFile(older.size, newer.size, tuple(path)).text())
    typer.echo(f"OK: wrote the proof from size {older.size} to {newer.size} to {out}")


@log_app.command("audit")
def audit(
    *,
    log_url: Annotated[str, typer.Option(help="The log's tiles prefix, e.g. https://host/log")],
    key: KeyOption,
    origin: OriginOption = None,
    save_checkpoint: Annotated[
        Path | None, typer.Option(help="Keep the audited checkpoint here")
    ] = None,
) -> None:
    """Download every entry and level-0 tile and rebuild the signed root from them."""
    fetcher = HttpTileFetcher(log_url)
    try:
        note = fetcher.checkpoint()
        checkpoint = open_checkpoint(note, _verifiers(key), origin=origin)
        audit_tiles(fetcher, size=checkpoint.size, root=checkpoint.root)
    except (DomainError, ValueError, OSError) as error:
        raise _fail(getattr(error, "message", str(error))) from error
    finally:
        fetcher.close()
    if save_checkpoint is not None:
        save_checkpoint.write_text(note)
    typer.echo(f"OK: {checkpoint.origin} holds {checkpoint.size} entries matching its checkpoint")


def _proof_from_file(path: Path, older: Checkpoint, newer: Checkpoint) -> list[bytes]:
    stored = parse_consistency_proof(_read(path))
    if (stored.old_size, stored.new_size) != (older.size, newer.size):
        raise _fail(
            f"the proof is from size {stored.old_size} to {stored.new_size}, but the "
            f"checkpoints are sizes {older.size} and {newer.size}"
        )
    return list(stored.path)


def _proof_from_tiles(log_url: str, older: Checkpoint, newer: Checkpoint) -> list[bytes]:
    if older.size == 0 or older.size > newer.size:
        return []  # nothing to fetch; the verifier decides
    fetcher = HttpTileFetcher(log_url)
    try:
        return consistency_path(TiledNodeReader(fetcher, newer.size), older.size, newer.size)
    finally:
        fetcher.close()
