"""Regenerate every committed fixture: run each gen_*.py in this folder, in name order."""
import repro  # noqa: F401  (libtorch's reproducible CPU paths, before torch is imported)
import glob
import os
import runpy
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
for script in sorted(glob.glob(os.path.join(here, "gen_*.py"))):
    print("fixtures:", os.path.basename(script), file=sys.stderr)
    runpy.run_path(script, run_name="__main__")
