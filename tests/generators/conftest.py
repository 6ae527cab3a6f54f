from tests.test_generators import parley  # noqa: F401  (the real Parley these sites read)
