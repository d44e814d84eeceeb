"""Several indexable datasets read as one (comma-separated paths, several detection sets)."""
import numpy as np


class Concat:
    def __init__(self, parts, name=None):
        self.parts = list(parts)
        self.offsets = np.cumsum([0] + [len(p) for p in self.parts])
        self.name = name or " + ".join(getattr(p, "name", f"{len(p)} items") for p in self.parts)

    def __len__(self):
        return int(self.offsets[-1])

    def locate(self, i):
        """(part, index within the part) of global index ``i``."""
        k = int(np.searchsorted(self.offsets, i, side="right") - 1)
        return self.parts[k], i - int(self.offsets[k])

    def __getitem__(self, i):
        part, j = self.locate(i)
        return part[j]
