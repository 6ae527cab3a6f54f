from __future__ import annotations

from backend.domain.ids import is_ulid, new_ulid


def test_ids_sort_by_time_even_within_one_millisecond() -> None:
    same_ms = [new_ulid(1_767_225_600.0001) for _ in range(200)]
    assert same_ms == sorted(same_ms) and len(set(same_ms)) == 200
    assert new_ulid(1_767_225_600.0) < new_ulid(1_767_225_601.0)
    assert all(is_ulid(i) for i in same_ms)
    assert not is_ulid("x" * 26) and not is_ulid(same_ms[0].lower())
