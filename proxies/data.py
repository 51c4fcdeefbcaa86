"""The batch proxies see: CIFAR-10 from the standard python batches on disk (no download),
or a seeded synthetic batch of the right shape.

Data specs (the `--data` option): 'synthetic' or 'cifar10:/path/to/cifar-10-batches-py'.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from zcgp.errors import UserInputError

__all__ = ["CIFAR10_MEAN", "CIFAR10_STD", "CIFAR10_TRAIN_FILES", "DEFAULT_BATCH_SIZE", "load_batch",
           "normalize_cifar10", "parse_data_spec", "read_cifar10", "synthetic_batch"]

DEFAULT_BATCH_SIZE = 64
CIFAR10_MEAN = (0.49139968, 0.48215827, 0.44653124)     # per channel, of the train images in [0, 1]
CIFAR10_STD = (0.24703233, 0.24348505, 0.26158768)
CIFAR10_TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))


def read_cifar10(directory: str | Path, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 3, 32, 32), labels int64 (N,)) from a cifar-10-batches-py directory.

    'train' reads the data_batch_* files present (at least one), 'test' the test_batch file.

    The files are unpickled with a loader that accepts numpy arrays, lists, dicts, bytes
    and numbers only, so a hostile pickle cannot run code.

    Parameters
    ----------
    directory : str or pathlib.Path
        The cifar-10-batches-py directory (``~`` expanded).
    split : str
        'train' or 'test'.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray)
        Images uint8 (N, 3, 32, 32) and labels int64 (N,), files in order.

    Raises
    ------
    UserInputError
        When the directory is missing, `split` is unknown, no batch file is present, or a
        file is not a CIFAR-10 python batch.
    """
    path = Path(directory).expanduser()
    if not path.is_dir():
        raise UserInputError(f"CIFAR-10 directory not found: {path}")
    if split == "train":
        files = [path / name for name in CIFAR10_TRAIN_FILES if (path / name).is_file()]
    elif split == "test":
        files = [path / "test_batch"] if (path / "test_batch").is_file() else []
    else:
        raise UserInputError(f"unknown CIFAR-10 split '{split}'; use train or test")
    if not files:
        raise UserInputError(f"no CIFAR-10 {split} batches (data_batch_1..5 / test_batch) in {path}")
    images, labels = [], []
    for file in files:
        batch = _read_batch(file)
        images.append(batch[0])
        labels.append(batch[1])
    return np.concatenate(images), np.concatenate(labels)


# the only globals a CIFAR-10 python batch refers to: numpy arrays, dtypes and scalars, and the
# codec Python 3 uses for bytes under protocol 2; lists, dicts, bytes and str need none
_CIFAR_GLOBALS = frozenset({
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
})


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays, lists, dicts, bytes and numbers only: any other class or
    function in the file (a hostile pickle runs code through them) is refused."""

    def find_class(self, module, name):
        if (module, name) in _CIFAR_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing {module}.{name}: a CIFAR-10 batch holds only "
                                     f"numpy arrays, lists, dicts and bytes")


def _read_batch(file: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with open(file, "rb") as fh:
            payload = _ArrayUnpickler(fh, encoding="bytes").load()
        data = np.asarray(payload[b"data"], dtype=np.uint8)
        labels = np.asarray(payload[b"labels"], dtype=np.int64)
    except pickle.UnpicklingError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else "UnpicklingError"
        raise UserInputError(f"not a CIFAR-10 python batch: {file} ({reason})") from None
    except (OSError, EOFError, KeyError, TypeError, ValueError, IndexError, AttributeError,
            MemoryError, RecursionError) as exc:
        raise UserInputError(f"not a CIFAR-10 python batch: {file} ({type(exc).__name__})") from None
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise UserInputError(f"not a CIFAR-10 python batch: {file} (data shape {data.shape})")
    return data.reshape(-1, 3, 32, 32), labels


def normalize_cifar10(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 3, 32, 32) -> float32, per-channel standardised with the CIFAR-10 statistics.

    Parameters
    ----------
    images : numpy.ndarray
        uint8 images (N, 3, H, W).

    Returns
    -------
    numpy.ndarray
        float32 (x / 255 - `CIFAR10_MEAN`) / `CIFAR10_STD`, per channel.
    """
    scaled = images.astype(np.float32) / 255.0
    mean, std = (np.asarray(v, dtype=np.float32)[:, None, None] for v in (CIFAR10_MEAN, CIFAR10_STD))
    return (scaled - mean) / std


def synthetic_batch(batch_size: int, num_classes: int, resolution: int = 32, channels: int = 3,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Standard-normal images and uniform labels, reproducible from `seed`.

    Parameters
    ----------
    batch_size : int
        Images in the batch.
    num_classes : int
        Labels are drawn uniformly from 0..num_classes - 1.
    resolution : int
        Image side in pixels.
    channels : int
        Image channels.
    seed : int
        Seed of the numpy Generator drawing images, then labels.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray)
        Images float32 (batch_size, channels, resolution, resolution) and labels int64
        (batch_size,).

    Examples
    --------
    >>> images, labels = synthetic_batch(4, 10, resolution=8)
    >>> images.shape, images.dtype.name, labels.shape
    ((4, 3, 8, 8), 'float32', (4,))
    """
    rng = np.random.default_rng(seed)
    images = rng.standard_normal((batch_size, channels, resolution, resolution), dtype=np.float32)
    return images, rng.integers(0, num_classes, batch_size).astype(np.int64)


def parse_data_spec(spec: str | None) -> tuple[str, str | None]:
    """'synthetic' -> ('synthetic', None); 'cifar10:/dir' -> ('cifar10', '/dir').

    Parameters
    ----------
    spec : str or None
        A data spec (the `--data` option); None or empty means 'synthetic'. The kind is
        case-insensitive.

    Returns
    -------
    tuple of (str, str or None)
        The kind ('synthetic' or 'cifar10') and the directory (None for synthetic).

    Raises
    ------
    UserInputError
        When the kind is unknown, 'synthetic' has a location, or 'cifar10' has none.

    Examples
    --------
    >>> parse_data_spec(None)
    ('synthetic', None)
    >>> parse_data_spec("CIFAR10:/data/cifar-10-batches-py")
    ('cifar10', '/data/cifar-10-batches-py')
    """
    text = (spec or "synthetic").strip()
    kind, _, location = text.partition(":")
    kind = kind.lower()
    if kind == "synthetic" and not location:
        return kind, None
    if kind == "cifar10":
        if not location:
            raise UserInputError("cifar10 data needs a directory: --data cifar10:/path/to/cifar-10-batches-py")
        return kind, location
    raise UserInputError(f"unknown data source '{text}'; use 'synthetic' or 'cifar10:/path/to/cifar-10-batches-py'")


def load_batch(spec: str | None = "synthetic", batch_size: int = DEFAULT_BATCH_SIZE, num_classes: int = 10,
               resolution: int = 32, seed: int = 0):
    """(inputs float32 (B, 3, R, R), targets int64 (B,)) as torch tensors on the CPU.

    CIFAR-10: `batch_size` training images drawn without replacement with `seed`.

    Parameters
    ----------
    spec : str or None
        'synthetic' (None too) or 'cifar10:/path/to/cifar-10-batches-py' (see
        `parse_data_spec`).
    batch_size : int
        Images in the batch.
    num_classes : int
        Classes of the task: synthetic labels are drawn below it; CIFAR-10 needs >= 10.
    resolution : int
        Image side; CIFAR-10 allows only 32.
    seed : int
        Seed of the synthetic batch or of the choice of CIFAR-10 images.

    Returns
    -------
    tuple of (torch.Tensor, torch.Tensor)
        Inputs float32 (B, 3, R, R) (CIFAR-10: standardised, in file order) and targets
        int64 (B,), on the CPU.

    Raises
    ------
    UserInputError
        When `batch_size` < 1, the spec is invalid, or for CIFAR-10: the resolution is not
        32, the files cannot be read, there are fewer images than `batch_size`, or the
        labels do not fit `num_classes`.
    """
    import torch

    if batch_size < 1:
        raise UserInputError(f"batch size must be >= 1, got {batch_size}")
    kind, location = parse_data_spec(spec)
    if kind == "synthetic":
        images, labels = synthetic_batch(batch_size, num_classes, resolution, seed=seed)
    else:
        if resolution != 32:
            raise UserInputError(f"CIFAR-10 images are 32x32, but the task needs {resolution}x{resolution}")
        raw, all_labels = read_cifar10(location)
        if batch_size > len(raw):
            raise UserInputError(f"batch size {batch_size} exceeds the {len(raw)} CIFAR-10 images in {location}")
        if int(all_labels.max()) >= num_classes:
            raise UserInputError(f"CIFAR-10 labels reach {int(all_labels.max())}, but the task has "
                                 f"{num_classes} classes")
        pick = np.sort(np.random.default_rng(seed).choice(len(raw), batch_size, replace=False))
        images, labels = normalize_cifar10(raw[pick]), all_labels[pick]
    return torch.from_numpy(np.ascontiguousarray(images)), torch.from_numpy(labels)
