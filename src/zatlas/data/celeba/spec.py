"""What CelebA is: its files, checksums and counts, and the errors of acquiring it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from zatlas.errors import ZatlasError

CELEBA_PAGE = "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html"
KAGGLE_DATASET = "jessicali9530/celeba-dataset"
HF_REPO = "huggan/CelebA-faces-with-attributes"
HF_REVISION = "b47e27a7c6bc578361ce132da8c8dad573b98d9e"
DOWNLOAD_SOURCES = ("gdrive", "kaggle", "huggingface")

ZIP = "img_align_celeba.zip"
PARTITION = "list_eval_partition.txt"
ATTRIBUTES = "list_attr_celeba.txt"
IDENTITY = "identity_CelebA.txt"
IMAGE_NAME = re.compile(r"^\d{6}\.jpg$")

Log = Callable[[str], None]


def _print(message: str) -> None:
    print(f"[acquire] {message}", flush=True)


@dataclass(frozen=True)
class CelebaFile:
    name: str
    drive_id: str
    md5: str
    size: int | None = None
    required: bool = True

    @property
    def url(self) -> str:
        return f"https://drive.google.com/uc?id={self.drive_id}"


@dataclass(frozen=True)
class Expected:
    """What verified content looks like (the real CelebA by default; tests use small ones)."""

    n_images: int = 202_599
    width: int = 178
    height: int = 218
    splits: tuple[tuple[str, int], ...] = (("train", 162_770), ("valid", 19_867), ("test", 19_962))


@dataclass(frozen=True)
class CelebaSpec:
    files: tuple[CelebaFile, ...]
    expected: Expected = field(default_factory=Expected)

    def file(self, name: str) -> CelebaFile:
        return next(f for f in self.files if f.name == name)

    @property
    def required(self) -> tuple[CelebaFile, ...]:
        return tuple(f for f in self.files if f.required)


OFFICIAL = CelebaSpec(
    files=(
        CelebaFile(
            ZIP, "0B7EVK8r0v71pZjFTYXZWM3FlRnM", "00d2c5bc6d35e252742224ab0c1e8fcb", 1_443_490_838
        ),
        CelebaFile(PARTITION, "0B7EVK8r0v71pY0NSMzRuSXJEVkk", "d32c9cbf5e040fd4025c592c306e6668"),
        CelebaFile(ATTRIBUTES, "0B7EVK8r0v71pblRyaVFSWGxPY0U", "75e246fa4810816ffd6ee81facbd244c"),
        CelebaFile(
            IDENTITY,
            "1_ee_0u7vcNLOfNLegJRHmolfH5ICW-XS",
            "32bd1bd63d3c78cd57e08160ec5ed1e2",
            required=False,
        ),
    )
)


class SourceFailed(Exception):
    """This source cannot deliver CelebA now; the message says why. The next one is tried."""


class VerificationFailed(ZatlasError):
    """Files that claim to be CelebA are not what CelebA is."""
