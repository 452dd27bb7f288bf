"""The TUI's full garbage collections: held back while the user types, bounded all the same."""

from __future__ import annotations

import gc
import time

import pytest

from cassette_tui.tui.idle_gc import BACKLOG, SHARE, IdleCollector


@pytest.fixture
def collector():
    saved = gc.get_threshold()
    c = IdleCollector()
    c.start()
    yield c
    c.stop()
    assert gc.get_threshold() == saved


def young_collections(n: int) -> None:
    for _ in range(n):
        gc.collect(1)   # each counts towards the next full collection, as Python's own do


def test_nothing_to_do_below_pythons_own_trigger(collector: IdleCollector) -> None:
    gc.collect()
    collector._last_input = 0.0   # long quiet
    collector.tick()
    assert collector.collections == 0


def test_a_typing_user_is_not_interrupted_until_the_backlog_is_reached(collector: IdleCollector) -> None:
    trigger = collector._saved[2]
    gc.collect()
    young_collections(trigger)
    collector.touch()
    collector.tick()
    assert collector.collections == 0 and gc.get_count()[2] >= trigger
    young_collections(BACKLOG * trigger)
    collector.touch()
    collector.tick()
    assert collector.collections == 1 and gc.get_count()[2] == 0


def test_full_collections_take_at_most_a_share_of_the_time(collector: IdleCollector) -> None:
    trigger = collector._saved[2]
    collector._last_input = 0.0   # long quiet
    young_collections(trigger)
    started = time.monotonic()
    collector.tick()
    took = time.monotonic() - started
    assert collector.collections == 1
    young_collections(BACKLOG * trigger)   # more than enough to call for another at once
    collector.tick()
    assert collector.collections == 1      # too soon after the last one
    assert collector._next_allowed - started <= (SHARE + 1) * took + 0.01
    collector._next_allowed = 0.0          # its time has come
    collector.tick()
    assert collector.collections == 2


def test_stop_puts_the_thresholds_back_and_ticks_then_do_nothing() -> None:
    saved = gc.get_threshold()
    c = IdleCollector()
    c.start()
    c.start()   # twice: still one saved copy
    assert gc.get_threshold()[:2] == saved[:2] and gc.get_threshold()[2] > saved[2]
    c.stop()
    assert gc.get_threshold() == saved
    young_collections(saved[2])
    c._last_input = 0.0
    c.tick()
    assert c.collections == 0


class Node:
    def __init__(self) -> None:
        self.me = self   # a cycle: only the cyclic collector frees it


def test_what_lives_on_is_frozen_and_a_deep_collection_frees_what_died_frozen(collector: IdleCollector) -> None:
    import weakref

    trigger = collector._saved[2]
    node = Node()
    alive = weakref.ref(node)
    collector.settled()                  # the index is shown: everything so far lives on
    assert gc.get_freeze_count() > 0
    del node                             # ... but this one dies later
    collector._last_input = 0.0          # quiet, but not for a deep collection yet
    collector._last_deep = time.monotonic()
    young_collections(trigger)
    collector.tick()
    assert collector.collections == 1 and collector.deep_collections == 0
    assert alive() is not None           # frozen: an ordinary collection does not look at it
    assert gc.get_freeze_count() > 0     # the survivors were frozen again
    collector._next_allowed = 0.0
    collector._last_deep = 0.0           # a minute since the last deep one, and a long pause
    young_collections(trigger)
    collector.tick()
    assert collector.deep_collections == 1
    assert alive() is None               # thawed, collected, the rest frozen again
    assert gc.get_freeze_count() > 0


def test_stop_thaws_what_it_froze() -> None:
    c = IdleCollector()
    c.start()
    c.settled()
    assert gc.get_freeze_count() > 0
    c.stop()
    assert gc.get_freeze_count() == 0
