"""How many threads a training job gets, and when the workflow sees a GPU."""

import pytest

from zatlas import hardware


@pytest.mark.parametrize(
    ("cores", "gpu", "threads"),
    [
        (2, False, 1),  # the demo on a laptop: two models train side by side
        (1, False, 1),
        (6, False, 3),
        (16, False, 8),  # capped
        (64, False, 8),
        (4, True, 4),  # with a GPU the models take turns: all cores feed it
        (16, True, 8),
        (None, False, 8),  # cores unknown (a dry run): the rule's most
    ],
)
def test_model_threads(cores, gpu, threads):
    assert hardware.model_threads(cores, gpu) == threads


def test_model_threads_cap():
    assert hardware.model_threads(16, True, most=4) == 4


def test_gpu_seen_through_its_driver_unless_hidden(monkeypatch):
    monkeypatch.setattr(hardware.os.path, "exists", lambda p: p == "/dev/nvidiactl")
    monkeypatch.setattr(hardware.shutil, "which", lambda name: None)
    assert hardware.nvidia_device_present({})
    assert hardware.nvidia_device_present({"CUDA_VISIBLE_DEVICES": "0"})
    assert not hardware.nvidia_device_present({"CUDA_VISIBLE_DEVICES": ""})
    assert not hardware.nvidia_device_present({"CUDA_VISIBLE_DEVICES": "-1"})
    monkeypatch.setattr(hardware.os.path, "exists", lambda p: False)
    assert not hardware.nvidia_device_present({})
    monkeypatch.setattr(hardware.shutil, "which", lambda name: "/usr/bin/nvidia-smi")
    assert hardware.nvidia_device_present({})


@pytest.mark.parametrize(("n_points", "threads"), [(3000, 1), (9999, 1), (10_000, 4), (202_599, 4)])
def test_analysis_threads(n_points, threads):
    assert hardware.analysis_threads(n_points, 4) == threads


@pytest.mark.parametrize(
    ("cores", "gpu", "threads", "at_once"),
    [
        (2, False, 1, 2),
        (16, False, 8, 2),
        (6, False, 3, 2),
        (3, False, 1, 3),
        (2, True, 2, 1),
        (None, False, 8, 1),
    ],
)
def test_trainings_at_once(cores, gpu, threads, at_once):
    assert hardware.trainings_at_once(cores, gpu, threads) == at_once
