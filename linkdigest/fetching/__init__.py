"""Titles and summaries from pages: extraction from a page's bytes (pure), fetching many
links politely through ``net``, and filling a digest's empty entries in place.

May import: ``linkdigest.format``, ``linkdigest.net``, ``linkdigest.errors``,
``linkdigest.files``, ``linkdigest.settings``.
"""

import importlib
import importlib.util
import sys
from types import ModuleType

# bs4 imports soupsieve (CSS selectors: the extractor never uses them) and a charset detector
# (asked only for a page that names no encoding) as it loads, a fifth of the start-up of
# `linkdigest fetch --html`. Each is registered here as a stand-in that imports the real
# module the first time anything is asked of it, so output and behaviour stay the same.
DEFERRED_IMPORTS = ("soupsieve", "charset_normalizer")


class _Deferred(ModuleType):
    """A module imported on first use. (importlib's LazyLoader loads at the next `import`
    statement already, since the import system reads the module's __spec__ through it.)"""

    def __getattr__(self, attribute: str) -> object:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        real = importlib.import_module(self.__name__)
        self.__dict__.update(real.__dict__)
        return getattr(real, attribute)


def _defer_import(name: str) -> None:
    spec = None if name in sys.modules else importlib.util.find_spec(name)
    if spec is not None:
        stand_in = _Deferred(name)
        stand_in.__spec__ = spec
        sys.modules[name] = stand_in


for _name in DEFERRED_IMPORTS:
    _defer_import(_name)
