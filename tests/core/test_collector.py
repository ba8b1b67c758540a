"""core.collector.paused(): no automatic collections inside, back as it was after."""

import gc
import threading

import pytest

from core import collector


def test_collection_is_off_inside_and_back_on_after():
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
        with collector.paused():  # nested: the outer block still holds it off
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_it_is_back_on_after_an_exception():
    with pytest.raises(ValueError), collector.paused():
        int("refused")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_last_of_overlapping_blocks_in_two_threads_switches_it_back_on():
    inside, leave = threading.Event(), threading.Event()

    def other():
        with collector.paused():
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    with collector.paused():
        thread.start()
        inside.wait(5)
    assert not gc.isenabled()  # the other thread's block is still open
    leave.set()
    thread.join(5)
    assert gc.isenabled()
