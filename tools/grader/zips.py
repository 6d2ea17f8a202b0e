"""Reading the student files out of a submitted zip, and nothing else of it.

Before Python's ``zipfile`` reads the zip's directory, its size on disk, its number of entries
and the size of its directory (from the end record) are checked, so a zip of millions of entries
costs the grader nothing. Only the student files are decompressed, each at most
``MAX_STUDENT_FILE`` bytes. Links and unsafe paths are judged only where a student file or one
of its folders lies; a macOS zip's links elsewhere (``.venv/bin/python``) are not looked at.
"""

from __future__ import annotations

import os
import struct
import zipfile
from pathlib import PurePosixPath

from grader.layout import choose_root, student_paths

MAX_ZIP_BYTES = 1 << 30          # a submitted zip's size on disk
MAX_ZIP_ENTRIES = 100_000        # entries in its directory (a zipped .venv has tens of thousands)
MAX_ZIP_DIRECTORY = 32 << 20     # bytes of its directory
_END = struct.Struct("<4s4H2LH")
_END64_LOCATOR = struct.Struct("<4sLQL")
_END64 = struct.Struct("<4sQ2H2L4Q")


class ZipRefused(Exception):
    """A zip that is not read: too large, not a zip, or a student file in it that cannot be taken."""


def directory_size(path):
    """(entries, directory bytes) from the zip's end record; ZipRefused where there is none."""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        tail_start = max(0, size - (_END.size + 0xFFFF))
        handle.seek(tail_start)
        tail = handle.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < _END.size:
            raise ZipRefused("not a readable zip file (no end record)")
        _, _, _, _, entries, directory, _, _ = _END.unpack_from(tail, at)
        if entries == 0xFFFF or directory == 0xFFFFFFFF:  # zip64: the real figures are in another record
            locator = at - _END64_LOCATOR.size
            if locator < 0 or tail[locator:locator + 4] != b"PK\x06\x07":
                raise ZipRefused("not a readable zip file (a broken zip64 record)")
            _, _, offset, _ = _END64_LOCATOR.unpack_from(tail, locator)
            handle.seek(offset)
            record = handle.read(_END64.size)
            if len(record) < _END64.size or record[:4] != b"PK\x06\x06":
                raise ZipRefused("not a readable zip file (a broken zip64 record)")
            fields = _END64.unpack(record)
            entries, directory = fields[7], fields[8]
    return entries, directory


def check_size(path):
    size = os.stat(path).st_size
    if size > MAX_ZIP_BYTES:
        raise ZipRefused(f"the zip is {size >> 20} MB (at most {MAX_ZIP_BYTES >> 20} MB)")
    entries, directory = directory_size(path)
    if entries > MAX_ZIP_ENTRIES:
        raise ZipRefused(f"the zip holds {entries} entries (at most {MAX_ZIP_ENTRIES})")
    if directory > MAX_ZIP_DIRECTORY:
        raise ZipRefused(f"the zip's directory is {directory >> 20} MB (at most {MAX_ZIP_DIRECTORY >> 20} MB)")


def _is_link(member):
    return member.create_system == 3 and (member.external_attr >> 16) & 0o170000 == 0o120000


def _unsafe(name):
    return name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in PurePosixPath(name).parts


def read_zip(path, limit):
    """{student file: bytes} of the zip at ``path``; ZipRefused with the reason where it cannot be read."""
    check_size(path)
    try:
        archive = zipfile.ZipFile(path)
    except UnicodeDecodeError:
        raise ZipRefused("not a readable zip file (a name marked UTF-8 is not UTF-8)") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, struct.error) as error:
        raise ZipRefused(f"not a readable zip file ({type(error).__name__})") from None
    with archive:
        members = {}
        for member in archive.infolist():
            name = member.filename.replace("\\", "/")  # what some Windows tools write
            if _unsafe(name):  # nothing is unpacked, but no honest tool writes such a name
                raise ZipRefused(f"unsafe path in the zip: {member.filename!r}")
            members.setdefault(name.rstrip("/"), member)
        files = {name for name, member in members.items() if not member.is_dir() and not _is_link(member)}
        folders = {"/".join(name.split("/")[:depth]) for name in members for depth in range(1, name.count("/") + 1)}
        folders |= {name for name, member in members.items() if member.is_dir()}
        links = {name for name, member in members.items() if _is_link(member)}
        prefix = choose_root(lambda name: name in files, lambda name: name in folders, _children(members))
        for place in student_paths(prefix):
            if place in links:
                raise ZipRefused(f"the submission holds a link ({place}); hand in files, not links")
        found = {}
        for file in student_paths(prefix, files_only=True):
            member = members.get(prefix + file)
            if member is None or member.is_dir() or member.file_size > limit:
                continue
            found[file] = _read_member(archive, member, file, limit)
        return {file: data for file, data in found.items() if data is not None}


def _children(members):
    """folder -> names of its entries (one level), for the root search."""
    children = {}
    for name in members:
        parent, _, leaf = name.rpartition("/")
        children.setdefault(parent + "/" if parent else "", set()).add(leaf)
        parts = name.split("/")
        for depth in range(1, len(parts)):
            prefix = "/".join(parts[:depth - 1])
            children.setdefault(prefix + "/" if prefix else "", set()).add(parts[depth - 1])
    return lambda prefix: children.get(prefix, set())


def _read_member(archive, member, file, limit):
    try:
        with archive.open(member) as handle:
            data = handle.read(limit + 1)
    except NotImplementedError:  # before RuntimeError, of which it is a kind
        raise ZipRefused(f"{file} in the zip uses a compression method Python cannot read "
                         f"({member.compress_type}); zip it again with the usual settings") from None
    except RuntimeError:  # zipfile's word for an encrypted member
        raise ZipRefused(f"{file} in the zip is encrypted") from None
    except Exception as error:  # noqa: BLE001 - a damaged member (bad CRC, bad data) costs only this zip
        raise ZipRefused(f"{file} in the zip cannot be read ({type(error).__name__}: a damaged zip?)") from None
    return data if len(data) <= limit else None
