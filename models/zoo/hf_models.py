"""Hugging Face transformers models with random weights (seed 0), built from
their configs (nothing is downloaded), batch 1, exported by torch's classic
exporter at opset 17 with the eager attention code (the math written out:
MatMul, Softmax, additive masks), as a deployment export would be.

  bert_base         BERT-base shape: 12 layers, width 768, 12 heads, seq 128
  bert_tiny         BERT-tiny shape: 2 layers, width 128, 2 heads, seq 32
  distilbert        DistilBERT shape: 6 layers, width 768, 12 heads, seq 32
  gpt2_blocks       a GPT-2 block stack: 2 blocks, width 256, 4 heads, seq 32
                    (causal attention), forward only, no cache
  bert_tiny_dynamo  bert_tiny through the dynamo exporter (opset 18)
  bert_tiny_dims    bert_tiny with the batch and sequence length left as the
                    symbolic dims `batch` and `seq` (exported at 2x32), for
                    compiles with run-time dims (mlc compile --dim)

Inputs: input_ids (recorded as ranging over the first 1000 token ids) and
attention_mask (int64, 0/1). Outputs: the last hidden state, and BERT's
pooler output."""
from common import export_torch

FRAMEWORK = "transformers"


def config(arch):
    """(config, model class, sequence length, output fields)."""
    import transformers as tr
    eager = {"attn_implementation": "eager"}
    if arch in ("bert_base", "bert_tiny"):
        big = arch == "bert_base"
        cfg = tr.BertConfig(hidden_size=768 if big else 128, num_hidden_layers=12 if big else 2,
                            num_attention_heads=12 if big else 2,
                            intermediate_size=3072 if big else 512, **eager)
        return cfg, tr.BertModel, 128 if big else 32, ["last_hidden_state", "pooler_output"]
    if arch == "distilbert":
        return tr.DistilBertConfig(**eager), tr.DistilBertModel, 32, ["last_hidden_state"]
    cfg = tr.GPT2Config(n_layer=2, n_embd=256, n_head=4, n_positions=128, use_cache=False, **eager)
    return cfg, tr.GPT2Model, 32, ["last_hidden_state"]


def traceable(model, fields):
    """The model with plain tensors in and out (no ModelOutput), for tracing."""
    import torch

    class Wrap(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, return_dict=True)
            return tuple(getattr(out, k) for k in fields)
    return Wrap().eval()


def exporter(arch, dynamo=False, dims=False):
    def run(path):
        import torch
        cfg, cls, seq, fields = config(arch)
        torch.manual_seed(0)
        model = traceable(cls(cfg).eval(), fields)
        torch.manual_seed(1)
        batch = 2 if dims else 1
        ids = torch.randint(0, 1000, (batch, seq))
        mask = torch.ones(batch, seq, dtype=torch.int64)
        axes = {}
        if dims:
            bs = {0: "batch", 1: "seq"}
            axes = {"dynamic_axes": {"input_ids": bs, "attention_mask": bs,
                                     "last_hidden_state": bs, "pooler_output": {0: "batch"}}}
        export_torch(model, (ids, mask), path, FRAMEWORK + (" (dynamo)" if dynamo else ""),
                     ["input_ids", "attention_mask"], fields,
                     {"input_ids": (0, 1000), "attention_mask": (0, 2)}, dynamo=dynamo, **axes)
    return run


MODELS = {n: exporter(n) for n in ("bert_base", "bert_tiny", "distilbert", "gpt2_blocks")}
MODELS["bert_tiny_dynamo"] = exporter("bert_tiny", dynamo=True)
MODELS["bert_tiny_dims"] = exporter("bert_tiny", dims=True)
