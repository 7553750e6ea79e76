#!/usr/bin/env python3
"""Cross-check the Go `hub` package against Python's huggingface_hub (and transformers).

Run by the Go test TestPythonCrosscheck (hub/crosscheck_test.go) when
ZEROSHOT_HUB_CROSSCHECK_PY names the oracle interpreter:

    ZEROSHOT_HUB_CROSSCHECK_PY=$ORACLE_PY go test ./hub/ -run Crosscheck -v

The Go test serves fixture repos from a local fake Hub (hub/hubtest) and calls this
script with one subcommand; every subcommand prints one JSON object on stdout.

  constants               huggingface_hub's env-derived constants (cache dir, endpoint, ...)
  url REPO REV FILE EP    hf_hub_url(...)
  read-cache SPEC.json    offline (HF_HUB_OFFLINE=1): resolve files from a cache Go wrote
  write-cache SPEC.json   online (HF_ENDPOINT): fill a cache the way transformers does
  transformers REPO       load CLIPModel + CLIPProcessor with from_pretrained (env decides
                          online/offline), report the files and a logits checksum

SPEC.json: {"repos": [{"id": ..., "files": [...]}]} where files use the Go syntax
("name?" optional, "a|b" first that exists).
"""
import json
import os
import sys


def out(obj):
    json.dump(obj, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")


def cmd_constants():
    from huggingface_hub import constants
    from huggingface_hub.utils import get_token
    from huggingface_hub.utils._headers import get_token_to_send

    out({
        "HF_HOME": constants.HF_HOME,
        "HF_HUB_CACHE": constants.HF_HUB_CACHE,
        "ENDPOINT": constants.ENDPOINT,
        "HF_HUB_OFFLINE": constants.HF_HUB_OFFLINE,
        "HF_TOKEN_PATH": constants.HF_TOKEN_PATH,
        "token": get_token() or "",
        "token_to_send": get_token_to_send(None) or "",
        "HF_HUB_ETAG_TIMEOUT": constants.HF_HUB_ETAG_TIMEOUT,
        "HF_HUB_DOWNLOAD_TIMEOUT": constants.HF_HUB_DOWNLOAD_TIMEOUT,
    })


def cmd_url(repo, rev, filename, endpoint):
    from huggingface_hub import hf_hub_url

    out({"url": hf_hub_url(repo, filename, revision=rev, endpoint=endpoint)})


def parse(spec):
    optional = spec.endswith("?")
    return spec.rstrip("?").split("|"), optional


def cmd_read_cache(spec_path):
    """Resolve every file of every repo from the cache only, like transformers offline."""
    from huggingface_hub import constants, hf_hub_download, snapshot_download, try_to_load_from_cache
    from huggingface_hub.file_download import _CACHED_NO_EXIST
    from huggingface_hub.utils import LocalEntryNotFoundError

    assert constants.HF_HUB_OFFLINE, "read-cache must run with HF_HUB_OFFLINE=1"
    spec = json.load(open(spec_path))
    result = {}
    for repo in spec["repos"]:
        r = {"snapshot": snapshot_download(repo["id"], local_files_only=True), "files": {}, "no_exist": []}
        for f in repo["files"]:
            alts, optional = parse(f)
            for a in alts:
                cached = try_to_load_from_cache(repo["id"], a)
                if cached is _CACHED_NO_EXIST:
                    r["no_exist"].append(a)
                    continue
                try:
                    path = hf_hub_download(repo["id"], a)
                except LocalEntryNotFoundError:
                    continue
                r["files"][a] = {"path": path, "cached": cached, "sha256": sha256(path)}
                break
        result[repo["id"]] = r
    out(result)


def cmd_write_cache(spec_path):
    """Download like transformers' cached_file: hf_hub_download per file, EntryNotFound
    tolerated for optional files and fallen back on for alternatives."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.utils import EntryNotFoundError

    spec = json.load(open(spec_path))
    result = {}
    for repo in spec["repos"]:
        r = {"files": {}, "missing": []}
        for f in repo["files"]:
            alts, optional = parse(f)
            for a in alts:
                try:
                    path = hf_hub_download(repo["id"], a)
                except EntryNotFoundError:
                    continue
                r["files"][a] = {"path": path, "sha256": sha256(path)}
                break
            else:
                if not optional:
                    raise SystemExit(f"{repo['id']}: none of {alts} exist")
                r["missing"].append(f)
        result[repo["id"]] = r
    out(result)


def cmd_transformers(repo):
    import torch
    from transformers import CLIPModel, CLIPProcessor
    from transformers.utils import logging

    logging.set_verbosity_error()
    model = CLIPModel.from_pretrained(repo)
    processor = CLIPProcessor.from_pretrained(repo)
    size = processor.image_processor.crop_size
    torch.manual_seed(0)
    pixel = torch.rand(1, 3, size["height"], size["width"])
    text = processor.tokenizer(["a photo of a cat", "a dog"], padding=True, return_tensors="pt")
    with torch.no_grad():
        logits = model(pixel_values=pixel, **text).logits_per_image
    out({"logits": logits.flatten().tolist(), "name_or_path": model.config._name_or_path})


def sha256(path):
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main(argv):
    cmd, args = argv[1], argv[2:]
    {
        "constants": cmd_constants,
        "url": cmd_url,
        "read-cache": cmd_read_cache,
        "write-cache": cmd_write_cache,
        "transformers": cmd_transformers,
    }[cmd](*args)


if __name__ == "__main__":
    main(sys.argv)
