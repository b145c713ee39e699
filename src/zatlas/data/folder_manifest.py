"""What the acquire step records of a folder and how it is checked again: the images
listed (and every file left out, said on the terminal), their manifest, and the message
when the folder changed since."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from zatlas.data.container import Container, Entry, bad_names, is_image_name
from zatlas.data.formats import FORMATS_IN_WORDS
from zatlas.errors import ZatlasError
from zatlas.logs import to_terminal

Log = Callable[[str], None]


def say(message: str) -> None:
    print(f"[folder] {message}", flush=True)


def tell(log: Log, message: str) -> None:
    """In the log, and on the terminal too."""
    log(message)
    to_terminal(f"[folder] {message}")


def _why_not_image(name: str) -> str:
    hidden = any(p.startswith(".") or p == "__MACOSX" for p in name.split("/"))
    return "hidden" if hidden else "not an image by its name"


def list_images(container: Container, log: Log = say) -> tuple[list[Entry], list[tuple[str, str]]]:
    """The images of a container, sorted by name, and (name, why) of every file left out."""
    entries, skipped = container.listing(log)
    images = [e for e in entries if is_image_name(e.name)]
    skipped += [(e.name, _why_not_image(e.name)) for e in entries if not is_image_name(e.name)]
    bad = bad_names([e.name for e in images])
    if bad:
        shown = ", ".join(repr(n) for n in bad[:5])
        raise ZatlasError(
            f"data.path: {len(bad)} image name(s) in {container.path} hold bytes that are not "
            f"UTF-8 or control characters such as a newline (shown with Python escapes): "
            f"{shown}. Rename them (e.g. `convmv -f latin1 -t utf8 -r --notest <folder>`, or "
            "by hand) and run again"
        )
    if not images:
        raise ZatlasError(
            f"data.path: {container.path} holds no {FORMATS_IN_WORDS} images (searched "
            "recursively); point data.path at the folder or archive that holds them"
        )
    container.check_sizes(images)
    return images, sorted(skipped)


def report_skipped(skipped: list[tuple[str, str]], log: Log) -> None:
    """Every file left out in the log; their count by reason, with examples, on the console."""
    if not skipped:
        return
    for name, why in skipped:
        log(f"left out {name!r}: {why}")
    by_why = Counter(why for _, why in skipped)
    parts = []
    for why, count in by_why.most_common():
        first = [repr(n) for n, w in skipped if w == why][:3]
        parts.append(f"{count} {why} ({', '.join(first)}{', ...' if count > 3 else ''})")
    tell(
        log,
        f"left out {len(skipped)} file(s) that are not used as images: "
        + "; ".join(parts)
        + " (the full list is in the acquire log)",
    )


def content_hash(md5s: dict[str, str]) -> str:
    lines = "".join(f"{name}\t{md5s[name]}\n" for name in sorted(md5s))
    return hashlib.sha256(lines.encode()).hexdigest()


def read_manifest(path: Path) -> dict[str, tuple[int, str]]:
    out = {}
    try:
        lines = path.read_text(encoding="utf-8").split("\n")[1:]
        for line in filter(None, lines):
            name, size, md5 = line.rsplit("\t", 2)
            out[name] = (int(size), md5)
    except (OSError, ValueError) as exc:
        raise ZatlasError(
            f"{path} cannot be read ({exc}); delete {path.parent / 'source.json'} (or run "
            "snakemake with `-R acquire`) to record the folder again"
        ) from None
    return out


def changed_error(record_path: Path, where: str, details: str) -> ZatlasError:
    return ZatlasError(
        f"{where} changed since the acquire step recorded it in {record_path}: {details}. "
        "Results of the old and the new content must not be mixed: run the workflow again "
        "(a changed folder reruns the acquire step by itself once it is still), or delete "
        f"{record_path} (or run snakemake with `-R acquire`) to record it as it is now."
    )


def diff(old: dict, new: dict) -> str:
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    changed = sorted(n for n in set(old) & set(new) if old[n] != new[n])
    parts = [
        f"{len(names)} {what} (first: {names[:3]})"
        for what, names in (("added", added), ("removed", removed), ("changed", changed))
        if names
    ]
    return ", ".join(parts)
