"""A legacy (non-zip) torch.save file, for clip's message about it.

PyTorch before 1.6 wrote torch.save files as a bare pickle stream (protocol 2, the magic
number 0x1950a86a20f9469cfc6c, then the storages); 1.6 made the zip archive the default, and
the old format can still be written with _use_new_zipfile_serialization=False. Old
checkpoints on the Hub (pytorch_model.bin from 2019-2020) are in it. The Go loader reads the
zip format only and must say what such a file is and what to do with it.

Writes testdata/legacy/pytorch_model.bin: a one-tensor state dict (logit_scale), 332 bytes.
The legacy format names each storage by its memory address; those names are rewritten to
"0", "1", ... (in both places the format has them) so that the file is the same on every
run, and torch.load reads it back.

Run: $(make -s ORACLE=5 print-oracle-py) testdata/gen/legacy_bin.py (make fixtures does).
Not named gen_*.py: all.py runs those, with the 4.54 oracle.
"""
import collections
import io
import os
import pickle
import struct

import torch


class _Skim(pickle.Unpickler):
    """Reads torch's pickles without torch: every class is a dict, storages are None."""

    def find_class(self, module, name):
        return lambda *args, **kwargs: {}

    def persistent_load(self, pid):
        return None


def _binunicode(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "legacy", "pytorch_model.bin")
os.makedirs(os.path.dirname(out), exist_ok=True)
state = collections.OrderedDict(logit_scale=torch.tensor(2.6592))
buf = io.BytesIO()
torch.save(state, buf, _use_new_zipfile_serialization=False)
data = buf.getvalue()

# The stream: magic number, protocol version, sys info, the object (storages as persistent
# ids naming their keys), the list of keys, then each storage's bytes in that order.
f = io.BytesIO(data)
for _ in range(4):
    _Skim(f).load()
keys = pickle.load(f)
for i, key in enumerate(keys):
    old, new = _binunicode(key), _binunicode(str(i))
    assert data.count(old) == 2, (key, data.count(old))
    data = data.replace(old, new)

loaded = torch.load(io.BytesIO(data))
assert list(loaded) == ["logit_scale"] and torch.equal(loaded["logit_scale"], state["logit_scale"]), loaded
with open(out, "wb") as w:
    w.write(data)
print("legacy:", os.path.relpath(out), len(data), "bytes")
