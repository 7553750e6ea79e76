"""Calls a running `zeroshot serve` with Hugging Face's and OpenAI's own clients, unmodified.

Run by serve's TestPythonClients (make clients-test), which starts the server, sends the job
below on stdin and compares what this prints (JSON on stdout) with the Go library's answers:

  {"base": "http://127.0.0.1:PORT", "token": "...", "model": "...", "dim": 64,
   "cases": [{"image": "/abs/path.png", "labels": [...], "template": "..." or null}, ...],
   "texts": ["...", ...]}

Nothing is compared here: every answer (or error) is written out as the client gave it.
"""

import array
import base64
import json
import sys

import huggingface_hub
import openai
from huggingface_hub import InferenceClient
from huggingface_hub.errors import HfHubHTTPError


def hf_forms(base):
    """The ways people point InferenceClient at a self-hosted endpoint."""
    return {
        "model=root": dict(model=base),
        "model=root/": dict(model=base + "/"),
        "model=root/v1": dict(model=base + "/v1"),
        "base_url=root": dict(base_url=base),
        "base_url=root/v1/": dict(base_url=base + "/v1/"),
        "model=root/models/<id>": dict(model=base + "/models/openai/clip-vit-large-patch14"),
        "model=root/v1/zero-shot-image-classification": dict(model=base + "/v1/zero-shot-image-classification"),
    }


def hf_error(e):
    return {"status": e.response.status_code, "message": str(e)[:300]}


def openai_error(e):
    # e.body: the answer's "error" (OpenAI's object, or the server's own string).
    return {"status": e.status_code, "type": type(e).__name__, "param": getattr(e, "param", None),
            "message": str(e)[:300], "body": e.body}


def rows(resp, decode_base64):
    out = []
    for d in resp.data:
        e = d.embedding
        if decode_base64:
            assert isinstance(e, str), type(e)
            e = array.array("f", base64.b64decode(e)).tolist()
        out.append(e)
    return out


def main():
    job = json.load(sys.stdin)
    base, token = job["base"], job["token"]
    out = {"versions": {"huggingface_hub": huggingface_hub.__version__, "openai": openai.__version__,
                        "python": sys.version.split()[0]},
           "hf": {}, "hf_errors": {}, "openai": {}, "openai_errors": {}}

    for form, kwargs in hf_forms(base).items():
        client = InferenceClient(token=token, **kwargs)
        answers = []
        for case in job["cases"]:
            try:
                res = client.zero_shot_image_classification(
                    case["image"], candidate_labels=case["labels"], hypothesis_template=case["template"])
                answers.append([{"label": r.label, "score": r.score} for r in res])
            except HfHubHTTPError as e:
                answers.append({"error": hf_error(e)})
        out["hf"][form] = answers
    case = job["cases"][0]
    try:
        InferenceClient(model=base, token="wrong-token-0123456789abcdef").zero_shot_image_classification(
            case["image"], candidate_labels=case["labels"])
        out["hf_errors"]["wrong token"] = None
    except HfHubHTTPError as e:
        out["hf_errors"]["wrong token"] = hf_error(e)

    texts, model, dim = job["texts"], job["model"], job["dim"]
    for form, url in {"base_url=root/v1": base + "/v1", "base_url=root": base}.items():
        client = openai.OpenAI(base_url=url, api_key=token, max_retries=0)
        got = {}
        # No encoding_format: the client asks for base64 and decodes it itself.
        r = client.embeddings.create(input=texts, model=model)
        got["default"] = {"rows": rows(r, False), "usage": [r.usage.prompt_tokens, r.usage.total_tokens], "model": r.model}
        r = client.embeddings.create(input=texts, model=model, encoding_format="float", dimensions=dim)
        got["float"] = {"rows": rows(r, False), "usage": [r.usage.prompt_tokens, r.usage.total_tokens], "model": r.model}
        r = client.embeddings.create(input=texts, model=model, encoding_format="base64")
        got["base64"] = {"rows": rows(r, True), "usage": [r.usage.prompt_tokens, r.usage.total_tokens], "model": r.model}
        got["single"] = [rows(client.embeddings.create(input=t, model=model, encoding_format="float"), False)[0]
                         for t in texts]
        out["openai"][form] = got
    client = openai.OpenAI(base_url=base + "/v1", api_key=token, max_retries=0)
    out["openai_models"] = [m.id for m in client.models.list()]
    for name, call in {
        "dimensions": lambda c: c.embeddings.create(input=texts, model=model, dimensions=dim // 2),
        "token ids": lambda c: c.embeddings.create(input=[[49406, 320, 2368, 49407]], model=model),
        "wrong token": lambda c: openai.OpenAI(base_url=base + "/v1", api_key="wrong-token-0123456789abcdef",
                                               max_retries=0).embeddings.create(input=texts, model=model),
    }.items():
        try:
            call(client)
            out["openai_errors"][name] = None
        except openai.APIStatusError as e:
            out["openai_errors"][name] = openai_error(e)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
