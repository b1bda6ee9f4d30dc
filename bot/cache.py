"""In-memory caches with bounds, counts and one read per key at a time.

- `BoundedCache`: entries expire after `ttl_s`, and the cache never holds more than
  `max_entries` entries nor more than `max_bytes` (estimated with `approx_size`); the
  least recently used go first (cachetools' TTLCache). A value bigger than the whole
  budget is simply not kept. Hits, misses and the size go to a `CacheStats` (the
  metrics module's `CacheCounter` in production; nothing by default).
- `SingleFlight`: concurrent loads of the same key share one load — the first caller
  runs it, the others wait for its result (or its exception), and hear of any wait for
  Harvest's budget the load is told about (bot/waiting.py).

Neither knows Slack, Harvest or Prometheus: the workflows get them from the wiring.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, Generic, Protocol, TypeVar

from cachetools import TTLCache

from bot import waiting
from bot.waiting import Waiting

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class CacheStats(Protocol):
    def hit(self) -> None: ...

    def miss(self) -> None: ...

    def size(self, entries: int, nbytes: int) -> None: ...


class NoStats:
    def hit(self) -> None:
        pass

    def miss(self) -> None:
        pass

    def size(self, entries: int, nbytes: int) -> None:
        pass


SAMPLE = 16  # a long sequence is weighed by this many of its items, spread over it


def approx_size(value: Any, _seen: set[int] | None = None) -> int:
    """Bytes an object graph holds (containers, dataclasses, pydantic models, strings),
    counting shared objects once. An estimate for bounding, not an exact figure: a long
    list or tuple is weighed by a sample of its items, so that weighing a 5,000-candidate
    view takes about a millisecond."""
    seen = _seen if _seen is not None else set()
    if id(value) in seen:
        return 0
    seen.add(id(value))
    size = sys.getsizeof(value)
    if isinstance(value, str | bytes | int | float | bool) or value is None:
        return size
    if isinstance(value, dict):
        return size + sum(approx_size(k, seen) + approx_size(v, seen) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        if len(items) <= SAMPLE * 2:
            return size + sum(approx_size(v, seen) for v in items)
        step = len(items) / SAMPLE
        sampled = sum(approx_size(items[int(i * step)], seen) for i in range(SAMPLE))
        return size + sampled * len(items) // SAMPLE
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return size + sum(approx_size(getattr(value, f.name), seen) for f in dataclasses.fields(value))
    size += sum(approx_size(getattr(value, slot, None), seen)
                for cls in type(value).__mro__ for slot in getattr(cls, "__slots__", ()) if slot != "__dict__")
    fields = getattr(value, "__dict__", None)
    if isinstance(fields, dict):
        size += approx_size(fields, seen)
    return size


class BoundedCache(Generic[K, V]):
    def __init__(
        self,
        *,
        ttl_s: float,
        max_entries: int,
        max_bytes: int,
        stats: CacheStats | None = None,
        sizeof: Callable[[Any], int] = approx_size,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.stats: CacheStats = stats if stats is not None else NoStats()
        self._sizeof = sizeof
        self._clock = clock
        # Entries are (stored at, value, bytes); the TTLCache weighs them by their bytes.
        self._items: TTLCache[K, tuple[float, V, int]] = TTLCache(
            maxsize=max_bytes, ttl=ttl_s, timer=clock, getsizeof=lambda entry: entry[2]
        )
        self._lock = threading.Lock()

    def get(self, key: K, max_age: float | None = None) -> V | None:
        """The value if present and younger than `max_age` (default: the TTL)."""
        with self._lock:
            entry = self._items.get(key)
        if entry is not None and (max_age is None or self._clock() - entry[0] < max_age):
            self.stats.hit()
            return entry[1]
        self.stats.miss()
        return None

    def put(self, key: K, value: V) -> None:
        nbytes = self._sizeof(value)
        with self._lock:
            self._items.pop(key, None)
            if nbytes <= self.max_bytes:  # else: bigger than the whole budget, not kept
                self._items[key] = (self._clock(), value, nbytes)  # evicts by bytes first
                while len(self._items) > self.max_entries:
                    self._items.popitem()  # then by count: least recently used first
            self._items.expire()
            entries, total = len(self._items), int(self._items.currsize)
        self.stats.size(entries, total)

    def discard(self, key: K) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    @property
    def nbytes(self) -> int:
        with self._lock:
            return int(self._items.currsize)


class _Flight:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None
        self.leader: Waiting | None = waiting.current()  # whose waits the followers share


class SingleFlight(Generic[K, V]):
    """One load per key at a time in this process; the others wait for its outcome."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[K, _Flight] = {}

    def do(self, key: K, load: Callable[[], V]) -> tuple[V, bool]:
        """(value, shared): `shared` is True when another caller's load answered this one."""
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if leader:
                flight = self._flights[key] = _Flight()
        assert flight is not None
        if not leader:
            if flight.leader is not None:
                flight.leader.join(waiting.current())
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.value, True
        try:
            flight.value = load()
            return flight.value, False
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()
