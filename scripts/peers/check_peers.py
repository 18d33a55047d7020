"""Loads ftlab's exports with the reference Python libraries and compares their vectors with
ftlab's (scripts/peers/make-fixtures.ts wrote both). Prints one JSON line; exit 1 on a mismatch.
  - sentence-transformers: SentenceTransformer(st/) as a user would load the exported folder
  - onnxruntime: st/onnx/model.onnx, mean pooling + L2 normalisation done here
  - PEFT: PeftModel.from_pretrained(BertModel(base/), peft/), mean pooling + normalisation here
Needs torch, transformers, sentence-transformers, peft, onnxruntime, numpy."""
import json, sys
import numpy as np

root = sys.argv[1]
exp = json.load(open(f"{root}/expected.json"))
texts = exp["texts"]
want_lora, want_base = np.array(exp["lora"]), np.array(exp["base"])
out, ok = {}, True

def cos_min(a, b):
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return float((a * b).sum(1).min())

def mean_pool(hidden, mask):
    m = mask[..., None].astype(np.float64)
    v = (hidden * m).sum(1) / m.sum(1)
    return v / np.linalg.norm(v, axis=1, keepdims=True)

def check(name, fn, want):
    global ok
    try:
        got = fn()
        c = cos_min(got, want)
        out[name] = {"minCosine": c, "differsFromBase": cos_min(got, want_base) < 0.99999}
        if c < 0.9999:
            ok = False
    except Exception as e:  # report, don't hide: one failing peer must not stop the others
        out[name] = {"error": f"{type(e).__name__}: {e}"[:300]}
        ok = False

def st():
    from sentence_transformers import SentenceTransformer
    m = SentenceTransformer(f"{root}/st", device="cpu")
    out["st_similarity_fn"] = str(m.similarity_fn_name)
    out["st_max_seq_length"] = int(m.max_seq_length)
    return m.encode(texts, convert_to_numpy=True)

def onnx():
    import onnxruntime as ort
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(f"{root}/st")
    enc = tok(texts, padding=True, return_tensors="np")
    s = ort.InferenceSession(f"{root}/st/onnx/model.onnx", providers=["CPUExecutionProvider"])
    feed = {i.name: enc[i.name].astype(np.int64) for i in s.get_inputs()}
    return mean_pool(s.run(["last_hidden_state"], feed)[0], enc["attention_mask"])

def peft():
    import torch
    from transformers import AutoTokenizer, BertModel
    from peft import PeftModel
    base = BertModel.from_pretrained(f"{root}/base")
    model = PeftModel.from_pretrained(base, f"{root}/peft").eval()
    tok = AutoTokenizer.from_pretrained(f"{root}/st")
    enc = tok(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        h = model(**enc).last_hidden_state.double().numpy()
    return mean_pool(h, enc["attention_mask"].numpy())

check("sentenceTransformers", st, want_lora)
check("onnxruntime", onnx, want_lora)
check("peft", peft, want_lora)
print(json.dumps({"peers": out, "ok": ok}))
sys.exit(0 if ok else 1)
