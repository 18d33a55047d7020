"""PyTorch peer for ftlab's benchmarks: the same MiniLM (BERT) from the same fp16 safetensors,
eager PyTorch, same token ids (written by the Node bench). Modes:
  encode IDS.json           -> {"tokensPerSec": ...}  (batches given, no grad)
  train  IDS.json STEPS     -> {"tokensPerSec": ...}  (triplet loss, AdamW, full fine-tuning)
  onnx   OUT.onnx           -> exports the encoder (input_ids, attention_mask -> last_hidden_state)
Only numpy and torch are needed (no transformers)."""
import json, math, struct, sys, time
import numpy as np
import torch
import torch.nn.functional as F

def load_weights(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    w = {}
    for k, v in header.items():
        if k == '__metadata__':
            continue
        a, b = v['data_offsets']
        dt = {'F16': np.float16, 'F32': np.float32}.get(v['dtype'])
        if dt is None:
            continue
        w[k] = torch.from_numpy(np.frombuffer(data[a:b], dtype=dt).reshape(v['shape']).astype(np.float32))
    return {k[5:] if k.startswith('bert.') else k: t for k, t in w.items()}

class MiniLM(torch.nn.Module):
    def __init__(self, w, heads=12, layers=6):
        super().__init__()
        self.p = torch.nn.ParameterDict({k.replace('.', '__'): torch.nn.Parameter(t) for k, t in w.items()})
        self.heads, self.layers = heads, layers
        self.C = int(w['embeddings.LayerNorm.weight'].shape[0])  # a Python int: the ONNX export needs it constant
    def g(self, k):
        return self.p[k.replace('.', '__')]
    def forward(self, ids, mask):
        B, T = ids.shape
        pos = torch.arange(T).unsqueeze(0)
        x = self.g('embeddings.word_embeddings.weight')[ids] + self.g('embeddings.position_embeddings.weight')[pos] \
            + self.g('embeddings.token_type_embeddings.weight')[0]
        x = F.layer_norm(x, (self.C,), self.g('embeddings.LayerNorm.weight'), self.g('embeddings.LayerNorm.bias'), 1e-12)
        x = F.dropout(x, 0.1, self.training)
        bias = (1.0 - mask[:, None, None, :].float()) * -1e9
        C = self.C; H = self.heads; D = C // H
        for i in range(self.layers):
            L = f'encoder.layer.{i}.'
            lin = lambda t, n: F.linear(t, self.g(L + n + '.weight'), self.g(L + n + '.bias'))
            q, k, v = (lin(x, f'attention.self.{n}').view(B, T, H, D).transpose(1, 2) for n in ('query', 'key', 'value'))
            a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D) + bias, -1)
            a = F.dropout(a, 0.1, self.training)
            ctx = (a @ v).transpose(1, 2).reshape(B, T, C)
            x = F.layer_norm(x + F.dropout(lin(ctx, 'attention.output.dense'), 0.1, self.training), (C,),
                             self.g(L + 'attention.output.LayerNorm.weight'), self.g(L + 'attention.output.LayerNorm.bias'), 1e-12)
            h = lin(F.gelu(lin(x, 'intermediate.dense')), 'output.dense')
            x = F.layer_norm(x + F.dropout(h, 0.1, self.training), (C,), self.g(L + 'output.LayerNorm.weight'), self.g(L + 'output.LayerNorm.bias'), 1e-12)
        return x

def pad(lists):
    T = max(len(l) for l in lists)
    ids = torch.zeros(len(lists), T, dtype=torch.long); mask = torch.zeros(len(lists), T, dtype=torch.long)
    for i, l in enumerate(lists):
        ids[i, :len(l)] = torch.tensor(l); mask[i, :len(l)] = 1
    return ids, mask

def embed(model, lists):
    ids, mask = pad(lists)
    h = model(ids, mask)
    m = mask.unsqueeze(-1).float()
    return F.normalize((h * m).sum(1) / m.sum(1).clamp(min=1e-9), dim=-1)

def main():
    mode, weights = sys.argv[1], sys.argv[2]
    torch.set_num_threads(int(sys.argv[-1]) if mode != 'onnx' else 1)
    model = MiniLM(load_weights(weights))
    if mode == 'encode':
        batches = json.load(open(sys.argv[3]))
        model.eval()
        with torch.no_grad():
            embed(model, batches[0])
            t0 = time.perf_counter(); n = 0
            for b in batches:
                embed(model, b); n += sum(len(l) for l in b)
        print(json.dumps({'tokensPerSec': n / (time.perf_counter() - t0), 'torch': torch.__version__, 'threads': torch.get_num_threads()}))
    elif mode == 'train':
        steps = json.load(open(sys.argv[3]))  # [[q_lists, p_lists, n_lists], ...]; the first warms up
        model.train()
        # the fastest AdamW this torch has: the fused kernel (2.4+), as ftlab's own step uses
        try:
            opt = torch.optim.AdamW(model.parameters(), lr=2e-5, fused=True); optimizer = 'fused'
        except (RuntimeError, TypeError):
            opt = torch.optim.AdamW(model.parameters(), lr=2e-5); optimizer = 'for-loop'
        secs = 0.0; n = 0
        for s, (q, p, ng) in enumerate(steps):
            t0 = time.perf_counter()
            eq, ep, en = embed(model, q), embed(model, p), embed(model, ng)
            loss = F.relu((1 - (eq * ep).sum(-1)) - (1 - (eq * en).sum(-1)) + 0.2).mean()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step(); opt.zero_grad()
            if s > 0:
                secs += time.perf_counter() - t0; n += sum(len(l) for l in q + p + ng)
        print(json.dumps({'tokensPerSec': n / secs, 'torch': torch.__version__, 'threads': torch.get_num_threads(), 'optimizer': optimizer}))
    elif mode == 'onnx':
        model.eval()
        ids, mask = pad([[101, 2023, 2003, 102], [101, 102]])
        torch.onnx.export(model, (ids, mask), sys.argv[3], input_names=['input_ids', 'attention_mask'],
                          output_names=['last_hidden_state'], opset_version=17, dynamo=False,
                          dynamic_axes={'input_ids': {0: 'b', 1: 't'}, 'attention_mask': {0: 'b', 1: 't'}, 'last_hidden_state': {0: 'b', 1: 't'}})
        print(json.dumps({'onnx': sys.argv[3]}))

if __name__ == '__main__':
    main()
