"""The cached configuration, store and study area, and what every page shares: the months
with data, the loaded feeds and the window a role's pattern analyses use.

Cached wrappers are keyed on explicit hashable values: the configuration path and
fingerprint, the store's data version and the filters — never a DataFrame. Which store,
window or threshold a role gets is decided in :mod:`geo.disclosure` (:func:`store_for`,
:mod:`geo.disclosure.views`), never here.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

from geo.core.area import StudyArea, load_study_area
from geo.core.audit import AuditSettings
from geo.core.config import CONFIG_ENV, Config, load_config
from geo.core.filters import Filters
from geo.demo.build import ensure_demo_store
from geo.disclosure import store_for
from geo.disclosure.views import pattern_window
from geo.store import catalogue
from geo.store import queries as overview
from geo.store.database import Store
from geo.store.place_names import place_names
from geo.store.shared import SharedStore, store_lock

__all__ = [
    "analysis_window",
    "cache_data",
    "cache_resource",
    "feeds",
    "feeds_used",
    "get_area",
    "get_config",
    "get_store",
    "months",
    "place_names_of",
    "store_as",
]


F = TypeVar("F", bound=Callable[..., Any])


def single_flight(cached: F) -> F:
    """One computation per key at a time: a second session asking for a result that is
    being computed waits for it and then reads it from the cache, instead of computing it
    again beside the first (Streamlit's caches do not wait). Twenty people opening the
    same quarter at once then cost one analysis, not twenty."""
    locks: dict[str, threading.RLock] = {}
    guard = threading.Lock()

    @functools.wraps(cached)
    def call(*args: Any, **kwargs: Any) -> Any:
        key = repr((args, sorted(kwargs.items())))
        with guard:
            if len(locks) > 4096:  # keys of finished computations: forget them
                locks.clear()
            lock = locks.setdefault(key, threading.RLock())
        with lock:
            return cached(*args, **kwargs)

    call.clear = cached.clear  # type: ignore[attr-defined]
    return call  # type: ignore[return-value]


def cache_data(**options: Any) -> Callable[[F], F]:
    """``st.cache_data`` computing each key once at a time (:func:`single_flight`)."""
    return lambda fn: single_flight(st.cache_data(**options)(fn))


def cache_resource(**options: Any) -> Callable[[F], F]:
    """``st.cache_resource`` computing each key once at a time (:func:`single_flight`)."""
    return lambda fn: single_flight(st.cache_resource(**options)(fn))


@st.cache_resource(show_spinner="Loading configuration…")
def _config(path: str | None) -> Config:
    config = load_config(path)
    with store_lock(config.store_path):  # several app processes start at once
        ensure_demo_store(config)
    return config


def get_config() -> Config:
    """The configuration named by ``PLACESAFE_CONFIG`` (building the demo store if needed)."""
    return _config(os.environ.get(CONFIG_ENV))


@st.cache_resource(show_spinner=False)
def _shared(path: str, fingerprint: str, _audit: AuditSettings) -> SharedStore:
    # page views are audited on nearly every run: queued, written in batches
    return SharedStore(Path(path), audit=_audit, queue_audit=True)


def get_store(config: Config) -> Store:
    """The store as this app process reads it: the current snapshot, read-only, whose
    writes (audit events, loads, rollbacks) go to the store file one writer at a time
    (:mod:`geo.store.shared`; audit events through the process's queue). A load
    published by any process is picked up on the next script run."""
    return _shared(str(config.store_path), config.fingerprint, config.audit_settings()).reader()


def store_as(config: Config, role: str) -> Store:
    """The store ``role``'s analyses run on: for the partnership, the publishable
    dataset (records at sensitive premises removed before any analysis)."""
    return store_for(get_store(config), role, config)


@st.cache_resource(show_spinner=False, max_entries=4)
def _area(fingerprint: str, _config: Config) -> StudyArea:
    return load_study_area(_config.study_area)


def get_area(config: Config) -> StudyArea:
    """The configured study area (read once per configuration)."""
    return _area(config.fingerprint, config)


@st.cache_data(show_spinner=False, max_entries=64)
def months(fingerprint: str, version: str) -> list[str]:
    """Months with data."""
    return overview.available_months(get_store(get_config()))


@cache_data(show_spinner=False, max_entries=256)
def place_names_of(
    fingerprint: str, version: str, role: str, cells: tuple[str, ...], res: int | None = None
) -> tuple[str, ...]:
    """The place names of ``cells`` in that order (:func:`geo.store.place_names.place_names`:
    public sources only; a name that would repeat gets " (b)"), for tables and headings
    that every rerun draws again."""
    names = place_names(store_as(get_config(), role), list(cells), res)
    return tuple(str(n) for n in names)


@st.cache_data(show_spinner=False, max_entries=16)
def feeds(fingerprint: str, version: str, role: str) -> list[catalogue.Feed]:
    """The catalogue of loaded feeds (as ``role``'s store holds them)."""
    return catalogue.feed_catalogue(store_as(get_config(), role))


@st.cache_data(show_spinner=False, max_entries=64)
def feeds_used(
    fingerprint: str, version: str, role: str, tables: tuple[str, ...], filters: Filters
) -> str:
    """The sentence naming the feeds and months an analysis used."""
    return catalogue.feeds_used(feeds(fingerprint, version, role), tables, filters)


def analysis_window(fingerprint: str, version: str, role: str, filters: Filters) -> Filters:
    """The window for pattern analyses (:func:`geo.disclosure.views.pattern_window`): for
    the partnership (whose period menu is whole quarters) the calendar year of the chosen
    quarter; analysts use their own window."""
    return pattern_window(role, filters, months(fingerprint, version))
