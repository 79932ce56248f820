#!/usr/bin/env python3
"""Writes two tiny language models with real tensors, for the per-token estimate specs
(Tests/TargetsTests/TransformerAnalysisTests.swift):

- Tests/Fixtures/targets/tiny_llama.gguf: a GGUF (the `gguf` package's writer) with llama metadata and tensors;
- Tests/Fixtures/targets/tiny_llm/model.safetensors with the Hugging Face config.json beside it.

Both: 2 blocks, embedding 64, 4 heads (2 KV heads, head dim 16), gated feed-forward 128, vocabulary 100,
context 256; weights random (seed 0), float32.

    .venv/bin/python scripts/make_lm_fixtures.py
"""
import json
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "targets"
LAYERS, D, HEADS, KV_HEADS, FF, VOCAB, CTX = 2, 64, 4, 2, 128, 100, 256
HD = D // HEADS


def tensors(rng):
    """(gguf name, hf name, shape) of every tensor, outermost dimension first (numpy order)."""
    out = [("token_embd.weight", "model.embed_tokens.weight", (VOCAB, D)),
           ("output_norm.weight", "model.norm.weight", (D,)),
           ("output.weight", "lm_head.weight", (VOCAB, D))]
    for i in range(LAYERS):
        g, h = f"blk.{i}.", f"model.layers.{i}."
        out += [(g + "attn_norm.weight", h + "input_layernorm.weight", (D,)),
                (g + "attn_q.weight", h + "self_attn.q_proj.weight", (HEADS * HD, D)),
                (g + "attn_k.weight", h + "self_attn.k_proj.weight", (KV_HEADS * HD, D)),
                (g + "attn_v.weight", h + "self_attn.v_proj.weight", (KV_HEADS * HD, D)),
                (g + "attn_output.weight", h + "self_attn.o_proj.weight", (D, HEADS * HD)),
                (g + "ffn_norm.weight", h + "post_attention_layernorm.weight", (D,)),
                (g + "ffn_gate.weight", h + "mlp.gate_proj.weight", (FF, D)),
                (g + "ffn_up.weight", h + "mlp.up_proj.weight", (FF, D)),
                (g + "ffn_down.weight", h + "mlp.down_proj.weight", (D, FF))]
    return [(g, h, rng.standard_normal(s).astype(np.float32) * 0.02) for g, h, s in out]


def main():
    import gguf
    from safetensors.numpy import save_file

    ts = tensors(np.random.default_rng(0))
    w = gguf.GGUFWriter(str(OUT / "tiny_llama.gguf"), "llama")
    w.add_name("tiny-llama")
    w.add_context_length(CTX)
    w.add_embedding_length(D)
    w.add_block_count(LAYERS)
    w.add_feed_forward_length(FF)
    w.add_head_count(HEADS)
    w.add_head_count_kv(KV_HEADS)
    w.add_vocab_size(VOCAB)
    for g, _, a in ts:
        w.add_tensor(g, a)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    folder = OUT / "tiny_llm"
    folder.mkdir(exist_ok=True)
    save_file({h: a for _, h, a in ts}, str(folder / "model.safetensors"))
    config = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "num_hidden_layers": LAYERS,
              "hidden_size": D, "num_attention_heads": HEADS, "num_key_value_heads": KV_HEADS,
              "intermediate_size": FF, "max_position_embeddings": CTX, "vocab_size": VOCAB, "torch_dtype": "float32"}
    (folder / "config.json").write_text(json.dumps(config, indent=1) + "\n")
    print("wrote Tests/Fixtures/targets/tiny_llama.gguf and Tests/Fixtures/targets/tiny_llm/")


if __name__ == "__main__":
    main()
