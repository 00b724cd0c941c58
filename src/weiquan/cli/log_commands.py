"""`weiquan log …` — check the transparency log offline or against its tiles.

Every command exits 0 when the check passes and 1 with the reason when it does not.  Keys are
given as verifier-key text (``name+keyid+base64``) or as a file holding one; repeat ``--key`` to
trust the keys a log had before a rotation.
"""

from pathlib import Path
from typing import Annotated

import typer

from weiquan.adapters.tlog import Ed25519NoteVerifier, HttpTileFetcher, KeyStore, TransparencyLog
from weiquan.adapters.tlog.keys import key_texts_in
from weiquan.bootstrap import published_checkpoints
from weiquan.cli.common import load_context, load_settings
from weiquan.cli.verify import check_package
from weiquan.domain.errors import DomainError
from weiquan.domain.package_verify import PackageSummary, later_case_events
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
from weiquan.services import ledger

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


def _key_texts(keys: list[str]) -> list[str]:
    """Each --key is a key or a file of keys, one per line (the log's published key history)."""
    texts: list[str] = []
    for key in keys:
        texts.extend(key_texts_in(Path(key).read_text()) if Path(key).is_file() else [key])
    return texts


def _verifiers(keys: list[str]) -> list[Ed25519NoteVerifier]:
    return [Ed25519NoteVerifier.from_verifier_key(text) for text in _key_texts(keys)]


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
    package: Annotated[
        Path | None,
        typer.Option(help="An evidence package of yours: also look for events it lacks"),
    ] = None,
) -> None:
    """Download every entry and level-0 tile and rebuild the signed root from them. With
    --package, also search the log for events of that case after the package's last one (only
    a party can: the package holds the salt that keys the case's tags)."""
    entries: list[tuple[int, bytes]] = []
    fetcher = HttpTileFetcher(log_url)
    try:
        summary = check_package(package, _key_texts(key)) if package is not None else None
        note = fetcher.checkpoint()
        checkpoint = open_checkpoint(note, _verifiers(key), origin=origin)
        keep = (lambda i, e: entries.append((i, e))) if summary is not None else None
        audit_tiles(fetcher, size=checkpoint.size, root=checkpoint.root, visit=keep)
    except (DomainError, ValueError, OSError) as error:
        raise _fail(getattr(error, "message", str(error))) from error
    finally:
        fetcher.close()
    if save_checkpoint is not None:
        save_checkpoint.write_text(note)
    typer.echo(f"OK: {checkpoint.origin} holds {checkpoint.size} entries matching its checkpoint")
    if summary is not None:
        _report_later_events(summary, entries, checkpoint.size)


def _report_later_events(
    summary: PackageSummary, entries: list[tuple[int, bytes]], size: int
) -> None:
    if summary.case_key is None:
        raise _fail("the package has no history to search the log with")
    later = later_case_events(
        entries, case_id=summary.case_id, case_key=summary.case_key, last_seq=summary.events
    )
    if later:
        listed = ", ".join(f"event {seq} at index {index}" for seq, index in later)
        typer.echo(
            f"NOTE: the log holds later events of case {summary.case_number} than the package "
            f"({listed}): ask for a newer package"
        )
    else:
        typer.echo(
            f"OK: no event of case {summary.case_number} after event {summary.events} "
            f"in the first {size} entries"
        )


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


@log_app.command("recover")
def recover() -> None:
    """After the data directory was restored from a copy older than the published log: rebuild
    the missing entries from the database and append them, but only if they reproduce the
    checkpoint the log already published (nothing is written otherwise)."""
    context = load_context()
    settings = context.settings
    keys = KeyStore(settings.key_dir, name=settings.log_origin)
    try:
        # Opened without the published-checkpoint check, which is what this command repairs.
        with TransparencyLog(
            settings.log_dir, origin=settings.log_origin, signer=keys.active_signer()
        ) as tlog:
            before = tlog.size
            entries = ledger.recorded_entries(context.services, before)
            appended = tlog.extend_to_published(published_checkpoints(settings), entries)
            after = tlog.size
    except DomainError as error:
        raise _fail(error.message) from error
    finally:
        context.engine.dispose()
    if not appended:
        typer.echo(f"OK: the log already holds its published tree ({before} entries)")
        return
    typer.echo(f"OK: re-appended {appended} entries from the database; the log holds {after}")


@log_app.command("remember")
def remember(
    checkpoint: Annotated[
        str,
        typer.Argument(
            help="A checkpoint this log published: a saved file, or a mirror's tiles prefix "
            "(https://mirror/log), whose /checkpoint is fetched"
        ),
    ],
) -> None:
    """Record a checkpoint this log published as the highest one (in WEIQUAN_LOG_STATE_DIR), so
    that the worker refuses to sign any tree behind it: the first step of a restore on a new
    machine, whose state directory does not know what was published."""
    settings = load_settings()
    if checkpoint.startswith(("http://", "https://")):
        fetcher = HttpTileFetcher(checkpoint)
        try:
            note = fetcher.checkpoint()
        except DomainError as error:
            raise _fail(error.message) from error
        finally:
            fetcher.close()
    else:
        note = _read(Path(checkpoint))
    published = published_checkpoints(settings)
    try:
        verifiers = KeyStore(settings.key_dir, name=settings.log_origin).verifiers()
        opened = open_checkpoint(note, verifiers, origin=settings.log_origin)
        before = published.load()
        published.record(opened, note)
    except DomainError as error:
        raise _fail(error.message) from error
    if before is not None and before[0].size >= opened.size:
        typer.echo(f"OK: {published.path} already records {before[0].size} entries")
        return
    typer.echo(f"OK: {published.path} now records {opened.size} entries")
