"""Gradio's per-session state, made lazy (gradio 6.x).

Every raw API call is a new Gradio session, and `gradio.state_holder.SessionState.__init__` builds
the config of every block of the app for it (`config_for_block` → `get_config`, which inspects
each component's constructor signature) — used only to restore a page from a deep link.
Measured here with 16 clients on `/predict`: 23 % of the server's time, for a config of ~150 KB
per session (87 blocks). `install()` builds that dict on first use instead: a session that only
answers API calls never does, and one that does gets the same dict as before.
"""
from __future__ import annotations

import inspect

from gradio import state_holder


class LazyBlockConfigs(dict):
    """`SessionState.config_values`: each block's config made when it is first read or iterated."""

    def __init__(self, blocks_config, block_ids):
        super().__init__()
        self._blocks_config, self._pending = blocks_config, dict.fromkeys(block_ids)  # ordered set

    def _make(self, key):
        self._pending.pop(key, None)
        config = self._blocks_config.config_for_block(key, [], self._blocks_config.blocks[key])
        dict.__setitem__(self, key, config)
        return config

    def _complete(self):
        for key in list(self._pending):
            if dict.__contains__(self, key):
                self._pending.pop(key)
            else:
                self._make(key)

    def __missing__(self, key):
        if key not in self._pending:
            raise KeyError(key)
        return self._make(key)  # one block (e.g. an event's input), not all of them

    def __contains__(self, key):
        return dict.__contains__(self, key) or key in self._pending



def _completing(name):
    """A dict method that first builds every block's config (iterating means all of them)."""
    method = getattr(dict, name)

    def complete_then(self, *args):
        self._complete()
        return method(self, *args)
    complete_then.__name__ = name
    return complete_then


for _name in ("__iter__", "__len__", "items", "keys", "values", "get", "copy", "__eq__", "__repr__"):
    setattr(LazyBlockConfigs, _name, _completing(_name))


_original_init = state_holder.SessionState.__init__


def _lazy_init(self, blocks):
    _original_init(self, _NoBlocksYet(blocks))  # everything but the configs, as gradio does it
    self.config_values = LazyBlockConfigs(
        self.blocks_config, [k for k in self.blocks_config.blocks if k in blocks.blocks])


class _NoBlocksYet:
    """What the original __init__ sees: the app's default config, and no blocks to configure."""

    def __init__(self, blocks):
        self.default_config = blocks.default_config
        self.blocks = {}


def install() -> bool:
    """Make session configs lazy if this gradio's SessionState is the one described above; False
    (and nothing changed) otherwise."""
    source = inspect.getsource(_original_init)
    if "self.config_values = {" not in source or "config_for_block" not in source:
        return False
    state_holder.SessionState.__init__ = _lazy_init
    return True
