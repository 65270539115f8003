from __future__ import annotations

import time
import uuid

from hypothesis import given
from hypothesis import strategies as st

from quartermaster.core.ids import id_timestamp_ms, new_id


def test_ids_are_version_7_rfc_variant() -> None:
    value = new_id()
    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_ids_carry_the_creation_time() -> None:
    before = time.time_ns() // 1_000_000
    value = new_id()
    after = time.time_ns() // 1_000_000
    assert before <= id_timestamp_ms(value) <= after + 1


@given(st.integers(min_value=2, max_value=5000))
def test_ids_from_one_process_strictly_increase(count: int) -> None:
    ids = [new_id() for _ in range(count)]
    assert ids == sorted(ids)
    assert len(set(ids)) == count
