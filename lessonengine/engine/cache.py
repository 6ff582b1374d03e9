"""A cache of computed graphs and their JSON views, bounded by one memory budget per process."""

import json
import os
import threading
from collections import OrderedDict

import numpy as np

from lessonengine.engine.graph import Graph
from lessonengine.engine.program import _parse


class GraphCache:
    """LRU of computed graphs, bounded by count and by an estimate of their memory, which grows
    as their JSON views are memoized."""

    # Measured with tracemalloc on the presets and on large inputs: about 2.5 KB per node
    # (the node's Python objects and arrays) and 24 bytes per number held (values, grads and
    # signals as float64, with numpy's per-array overhead spread over them).
    BYTES_PER_NODE = 2500
    BYTES_PER_NUMBER = 24

    # 8 MB: a worker's budget is 100 MB, of which the app itself takes about 67 and one request
    # on a graph of large arrays up to about 25 while it runs.
    def __init__(self, max_entries=256, max_bytes=8 * 2**20):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._items = OrderedDict()  # key -> [graph, weight]
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def bytes(self):
        return self._bytes

    def weight(self, graph):
        """The estimated bytes a computed graph holds, before any view is memoized."""
        numbers = sum(int(np.size(v)) for v in graph.values)
        numbers += sum(int(np.size(g)) for g in graph.grads if g is not None)
        numbers += sum(int(np.size(s)) for sent in graph.signals for s in sent if s is not None)
        return len(graph.values) * self.BYTES_PER_NODE + numbers * self.BYTES_PER_NUMBER

    def get(self, key):
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
                return item[0]
            return None

    def put(self, key, graph):
        weight = self.weight(graph)
        if weight > self.max_bytes // 4:  # one large graph must not push out all the others
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = [graph, weight]
            self._bytes += weight
            graph.charge = lambda nbytes: self._charge(key, graph, nbytes)
            self._evict()

    def _charge(self, key, graph, nbytes):
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] is not graph:  # evicted meanwhile: stop memoizing
                graph.charge = None
                graph.texts.clear()
                return
            item[1] += nbytes
            self._bytes += nbytes
            self._evict()

    def _evict(self):
        while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
            _, (graph, dropped) = self._items.popitem(last=False)
            graph.charge = None
            graph.texts.clear()  # a request still holding the graph keeps its own reference
            self._bytes -= dropped

    def clear(self):
        with self._lock:
            for graph, _ in self._items.values():
                graph.charge = None
                graph.texts.clear()
            self._items.clear()
            self._bytes = 0


CACHE = GraphCache()
# LESSONENGINE_CACHE=0 turns the cache of computed graphs off (the benchmark measures the engine
# itself that way); parsed programs stay cached.
cache_enabled = os.environ.get("LESSONENGINE_CACHE", "1") != "0"


def compute(program, values, key=None):
    """The Graph of `program` on `values`, from a cache of recent ones when possible.

    `key` names the pair when the caller knows a cheaper name (a preset's id); by default it is
    the program and a canonical JSON of the values. Raises a GraphError subclass.
    """
    if key is None:
        try:
            key = (program, json.dumps(values, sort_keys=True, separators=(",", ":")))
        except (TypeError, ValueError):
            key = None
    if key is not None and cache_enabled:
        graph = CACHE.get(key)
        if graph is not None:
            return graph
    graph = Graph(program, values)
    if key is not None and cache_enabled:
        CACHE.put(key, graph)
    return graph


def clear_cache():
    """Forget every computed graph and parsed program."""
    CACHE.clear()
    _parse.cache_clear()
