"""Without SECRET_KEY, every process of one server signs with the same key kept in instance/."""

import multiprocessing

import pytest

from app import config

WORKERS = 6


def make_key(folder, barrier, keys):
    real_token_hex = config.secrets.token_hex

    def token_hex_in_step(n):
        # Every worker has looked for the file and found none before any of them writes one:
        # the way gunicorn's workers start at once, before any `flask` command made the key.
        barrier.wait(timeout=30)
        return real_token_hex(n)

    config.secrets.token_hex = token_hex_in_step
    keys.put(config.persistent_dev_secret(folder))


@pytest.mark.parametrize("attempt", range(3))
def test_workers_starting_together_all_read_the_same_key(tmp_path, attempt):
    context = multiprocessing.get_context("fork")
    barrier, keys = context.Barrier(WORKERS), context.Queue()
    workers = [context.Process(target=make_key, args=(tmp_path, barrier, keys)) for _ in range(WORKERS)]
    for worker in workers:
        worker.start()
    found = [keys.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert len(set(found)) == 1
    assert found[0] == (tmp_path / "secret_key").read_text().strip()
    assert len(found[0]) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_a_key_once_made_is_kept(tmp_path):
    first = config.persistent_dev_secret(tmp_path)
    assert config.persistent_dev_secret(tmp_path) == first
