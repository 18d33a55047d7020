"""Tiny randomly initialised BERT models saved by the installed sentence-transformers, for
test/model/st-parity.test.ts: each pooling mode, with and without Normalize, with and without
prompts, and one folder in the older layout (modules.json with sentence_transformers.models.*
names and boolean pooling keys, the Transformer in 0_Transformer/, written by hand).

  python st_parity.py make OUT TOKENIZER_JSON   builds OUT/<variant>/ and OUT/expected.json
  python st_parity.py encode TEXTS_JSON DIR...  prints {dir: {query: [...], passage: [...]}}

Vectors come from encode(texts, prompt=P) with P the prompt ftlab resolves for the role (queries:
prompts["query"]; passages: the first non-empty of "document", "passage", "corpus"; either falls back
to prompts[default_prompt_name]). sentence-transformers 6.0's encode_document stops at its own empty
"document" placeholder, so an e5 folder's "passage: " would never be applied; the resolution is
unit-tested on ftlab's side, the vectors here. Needs torch, transformers, sentence-transformers."""
import json, os, shutil, sys

import torch
from transformers import BertConfig, BertModel, BertTokenizerFast
from sentence_transformers import SentenceTransformer
from sentence_transformers.base.modules import Normalize, Transformer
from sentence_transformers.sentence_transformer.modules import Pooling

QUERIES = ["what is a piano", "how do mortgages work", "symptoms of the flu in children"]
PASSAGES = [
    "The piano is a keyboard instrument played by pressing keys that cause hammers to strike strings.",
    "A mortgage is a loan used to buy a home; the borrower repays principal and interest over many years, "
    "and the lender holds a lien on the property until the loan is paid off in full.",
    "Flu symptoms in children include fever, cough, sore throat, runny nose, body aches and tiredness. " * 4,
]

# name: (pooling mode, Normalize, prompts, default prompt name, max_seq_length)
VARIANTS = {
    "mean-normalize": ("mean", True, None, None, 64),
    "mean": ("mean", False, None, None, 64),
    "cls-normalize-prompts": ("cls", True, {"query": "query: ", "passage": "passage: "}, None, 64),
    "cls": ("cls", False, None, None, 64),
    "max-normalize": ("max", True, None, None, 64),
    "max-prompts": ("max", False, {"query": "query: ", "document": "passage: "}, None, 64),
    "mean-sqrt-len": ("mean_sqrt_len_tokens", False, None, None, 64),
    "mean-sqrt-len-normalize-query-prompt": (
        "mean_sqrt_len_tokens", True, {"query": "Represent this sentence for searching relevant passages: "}, None, 24),
    "mean-default-prompt": ("mean", True, {"classification": "classify: ", "query": "search_query: "},
                            "classification", 64),
}


def tiny_bert(seed, tokenizer_json, out):
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128,
                        initializer_range=0.2)  # 0.02 makes CLS vectors of different texts nearly equal
    BertModel(config).save_pretrained(out, safe_serialization=True)
    BertTokenizerFast(tokenizer_file=tokenizer_json, do_lower_case=True).save_pretrained(out)


def role_prompt(model, names):
    for name in names:
        if model.prompts.get(name):
            return model.prompts[name]
    return model.prompts.get(model.default_prompt_name or "", None) or ""


def vectors(model):
    qp = role_prompt(model, ["query"])
    pp = role_prompt(model, ["document", "passage", "corpus"])
    q = model.encode(QUERIES, prompt=qp, convert_to_numpy=True)
    p = model.encode(PASSAGES, prompt=pp, convert_to_numpy=True)
    return {"query": q.tolist(), "passage": p.tolist(), "prompts": {"query": qp, "passage": pp}}


def make(out, tokenizer_json):
    os.makedirs(out, exist_ok=True)
    expected = {"queries": QUERIES, "passages": PASSAGES, "variants": {}}
    hf = os.path.join(out, "_hf")
    for seed, (name, (mode, normalize, prompts, default, max_len)) in enumerate(VARIANTS.items()):
        tiny_bert(seed, tokenizer_json, hf)
        modules = [Transformer(hf, max_seq_length=max_len), Pooling(32, pooling_mode=mode)]
        if normalize:
            modules.append(Normalize())
        model = SentenceTransformer(modules=modules, prompts=prompts, default_prompt_name=default, device="cpu")
        model.save(os.path.join(out, name))
        expected["variants"][name] = vectors(model)
    # the older layout, written by hand: 0_Transformer/, models.* type names, boolean pooling keys
    tiny_bert(99, tokenizer_json, hf)
    old = os.path.join(out, "old-layout")
    shutil.copytree(hf, os.path.join(old, "0_Transformer"))
    with open(os.path.join(old, "0_Transformer", "sentence_bert_config.json"), "w") as f:
        json.dump({"max_seq_length": 48, "do_lower_case": False}, f)
    os.makedirs(os.path.join(old, "1_Pooling"))
    with open(os.path.join(old, "1_Pooling", "config.json"), "w") as f:
        json.dump({"word_embedding_dimension": 32, "pooling_mode_cls_token": False,
                   "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
                   "pooling_mode_mean_sqrt_len_tokens": False}, f)
    os.makedirs(os.path.join(old, "2_Normalize"))
    with open(os.path.join(old, "config_sentence_transformers.json"), "w") as f:
        json.dump({"prompts": {"classification": "classify: ", "query": "q: "}, "default_prompt_name": "classification",
                   "similarity_fn_name": None}, f)
    with open(os.path.join(old, "modules.json"), "w") as f:
        json.dump([{"idx": 0, "name": "0", "path": "0_Transformer", "type": "sentence_transformers.models.Transformer"},
                   {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                   {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}], f)
    expected["variants"]["old-layout"] = vectors(SentenceTransformer(old, device="cpu"))
    shutil.rmtree(hf)
    import sentence_transformers
    expected["versions"] = {"sentence_transformers": sentence_transformers.__version__, "torch": torch.__version__}
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f)


def encode(texts_json, dirs):
    global QUERIES, PASSAGES
    t = json.load(open(texts_json))
    QUERIES, PASSAGES = t["queries"], t["passages"]
    out = {d: vectors(SentenceTransformer(d, device="cpu")) for d in dirs}
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3])
    else:
        encode(sys.argv[2], sys.argv[3:])
