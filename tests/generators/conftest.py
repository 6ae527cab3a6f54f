from tests.test_generators import parley, silent  # noqa: F401  (a real Parley, a silent one)
