"""Hugging Face transformers encoders and a decoder stack with random weights
(seed 0), built from their configs (nothing is downloaded), batch 1, exported
by torch's classic exporter at opset 17 with the eager attention code (the
math written out: MatMul, Softmax, masks), as a deployment export would be.

  bert_base     BERT-base shape: 12 layers, width 768, 12 heads, seq 128
  bert_tiny     BERT-tiny shape: 2 layers, width 128, 2 heads, seq 32
  distilbert    DistilBERT shape: 6 layers, width 768, 12 heads, seq 32
  gpt2_blocks   GPT-2 block stack: 2 blocks, width 256, 4 heads, seq 32
                (causal attention; outputs the last hidden state)
  bert_tiny_dynamo  bert_tiny through the dynamo exporter (opset 18)

Inputs are input_ids and attention_mask (int64, 0/1); the outputs are the
last hidden state (and BERT's pooler output). Token ids are recorded as
ranging over the vocabulary's first 1000 entries."""
import torch
import transformers

from common import save
from torchvision_models import export_torch

FRAMEWORK = "transformers"


class Wrap(torch.nn.Module):
    """Plain tensors out (no ModelOutput) and no cache, for tracing."""

    def __init__(self, model, outputs):
        super().__init__()
        self.model, self.outputs = model, outputs

    def forward(self, input_ids, attention_mask):
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, return_dict=True)
        return tuple(getattr(out, k) for k in self.outputs)


def config(name):
    eager = {"attn_implementation": "eager"}
    if name in ("bert_base", "bert_tiny"):
        big = name == "bert_base"
        c = transformers.BertConfig(hidden_size=768 if big else 128,
                                    num_hidden_layers=12 if big else 2,
                                    num_attention_heads=12 if big else 2,
                                    intermediate_size=3072 if big else 512, **eager)
        return c, transformers.BertModel, 128 if big else 32, ["last_hidden_state", "pooler_output"]
    if name == "distilbert":
        return (transformers.DistilBertConfig(**eager), transformers.DistilBertModel, 32,
                ["last_hidden_state"])
    if name == "gpt2_blocks":
        return (transformers.GPT2Config(n_layer=2, n_embd=256, n_head=4, n_positions=128,
                                        use_cache=False, **eager),
                transformers.GPT2Model, 32, ["last_hidden_state"])
    raise KeyError(name)


def exporter(name, arch=None, dynamo=False):
    def run(path):
        cfg, cls, seq, outputs = config(arch or name)
        torch.manual_seed(0)
        model = Wrap(cls(cfg).eval(), outputs)
        torch.manual_seed(1)
        ids = torch.randint(0, 1000, (1, seq))
        mask = torch.ones(1, seq, dtype=torch.int64)
        export_torch(model, (ids, mask), path + ".raw", ["input_ids", "attention_mask"],
                     outputs, dynamo)
        save(path + ".raw", path, FRAMEWORK + (" (dynamo)" if dynamo else ""),
             {"input_ids": (0, 1000), "attention_mask": (0, 2)})
    return run


MODELS = {n: exporter(n) for n in ("bert_base", "bert_tiny", "distilbert", "gpt2_blocks")}
MODELS["bert_tiny_dynamo"] = exporter("bert_tiny_dynamo", "bert_tiny", dynamo=True)
