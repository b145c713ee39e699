"""The content fingerprints that decide reruns: rewritten when content changes (even with the
old mtime put back), left alone when a file is only touched; images read again only when
their stamp changed."""

import os
import shutil
import tarfile
import zipfile

import pytest

from tests.folder_fixture import write_tiles
from zatlas.data import fingerprint as fp
from zatlas.data.container import Container, is_image_name


def digest(path, out):
    container = Container.at(path)
    images = [e for e in container.entries() if is_image_name(e.name)]
    written = fp.folder_fingerprint(container, images, out)
    return written.read_text(), written.stat().st_mtime_ns


def test_a_replaced_image_changes_the_folder_fingerprint_even_with_its_old_mtime(tmp_path):
    root = tmp_path / "imgs"
    names = write_tiles(root, 8)
    out = tmp_path / "res" / "fingerprint.txt"
    text, stamp = digest(root, out)
    assert text.endswith(f"8 images in {root} (directory)\n")
    os.utime(root / names[2])  # touched: the same text, the file not rewritten
    assert digest(root, out) == (text, stamp)
    st = os.stat(root / names[0])
    data = bytearray((root / names[0]).read_bytes())
    data[-3] ^= 0xFF  # the same size, the same inode, and the old mtime put back: ctime tells
    (root / names[0]).write_bytes(bytes(data))
    os.utime(root / names[0], ns=(st.st_atime_ns, st.st_mtime_ns))
    assert digest(root, out)[0] != text
    (root / "README.txt").write_text("not an image: no rerun")
    assert digest(root, out)[0] == digest(root, out)[0]


def test_only_images_with_a_new_stamp_are_read_again(tmp_path, monkeypatch):
    root = tmp_path / "imgs"
    names = write_tiles(root, 8, extras=False)
    out = tmp_path / "fingerprint.txt"
    digest(root, out)
    read = []
    original = fp.file_md5
    monkeypatch.setattr(fp, "file_md5", lambda p: read.append(p) or original(p))
    digest(root, out)
    assert read == []
    (root / names[4]).write_bytes((root / names[4]).read_bytes())
    digest(root, out)
    assert [os.path.basename(p) for p in read] == [os.path.basename(names[4])]


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_an_archive_member_changed_changes_the_fingerprint(tmp_path, kind):
    root = tmp_path / "imgs"
    names = write_tiles(root, 6, extras=False)
    path, out = tmp_path / f"a.{kind}", tmp_path / "fingerprint.txt"

    def pack():
        if kind == "zip":
            with zipfile.ZipFile(path, "w") as zf:
                for n in names:
                    zf.write(root / n, n)
        else:
            with tarfile.open(path, "w") as tf:
                for n in names:
                    tf.add(root / n, n)

    pack()
    text, _ = digest(path, out)
    pack()  # packed again, the same content: the same fingerprint
    assert digest(path, out)[0] == text
    shutil.copy(root / names[1], root / names[0])
    pack()
    assert digest(path, out)[0] != text


def test_a_csv_fingerprint_follows_its_content(tmp_path):
    csv = tmp_path / "attrs.csv"
    csv.write_text("image_id,a\nx.jpg,1\n")
    where = tmp_path / "inputs"
    first = fp.file_fingerprint(csv, where)
    text, stamp = first.read_text(), first.stat().st_mtime_ns
    os.utime(csv)
    assert fp.file_fingerprint(csv, where).stat().st_mtime_ns == stamp
    csv.write_text("image_id,a\nx.jpg,-1\n")
    assert fp.file_fingerprint(csv, where).read_text() != text
