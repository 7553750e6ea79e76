"""A legacy (non-zip) torch.save file, for clip's message about it.

PyTorch before 1.6 wrote torch.save files as a bare pickle stream (protocol 2, the magic
number 0x1950a86a20f9469cfc6c, then the storages); 1.6 made the zip archive the default, and
the old format can still be written with _use_new_zipfile_serialization=False. Old
checkpoints on the Hub (pytorch_model.bin from 2019-2020) are in it. The Go loader reads the
zip format only and must say what such a file is and what to do with it.

Writes testdata/legacy/pytorch_model.bin: a one-tensor state dict (logit_scale), 358 bytes.

Run with the 5 oracle (torch >= 2.2 names storages "0", "1", ... so the bytes are
deterministic; torch 2.1.0 names them by their address):
  $(make -s ORACLE=5 print-oracle-py) testdata/gen/legacy_bin.py
(make fixtures runs it so.) Not named gen_*.py: all.py runs those with the 4.54 oracle.
"""
import collections
import os

import torch

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "legacy", "pytorch_model.bin")
os.makedirs(os.path.dirname(out), exist_ok=True)
state = collections.OrderedDict(logit_scale=torch.tensor(2.6592))
torch.save(state, out, _use_new_zipfile_serialization=False)
print("legacy:", os.path.relpath(out), os.path.getsize(out), "bytes")
