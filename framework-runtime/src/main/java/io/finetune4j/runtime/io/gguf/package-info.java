/**
 * GGUF v3 files for llama.cpp and Ollama: a writer and a reader of the container (header, metadata of every value
 * type, tensor infos, 32-byte aligned data), F32 / F16 / Q8_0 tensor encodings, and the mapping between a
 * runtime model's Hugging Face tensors and llama.cpp's names and layouts for the {@code llama} (Llama, Mistral),
 * {@code qwen2}, {@code qwen3} and {@code gpt2} architectures.
 *
 * <p>Written from, and checked against, ggml-org/llama.cpp at commit
 * {@code 0024aa7417efd50a7c2a79e049dfbbbceb0beaaf}: {@code docs/gguf.md} (file layout, value types, alignment),
 * {@code gguf-py/gguf/constants.py} (metadata keys, tensor names, {@code GGMLQuantizationType}, token types),
 * {@code gguf-py/gguf/quants.py} (Q8_0: blocks of 32, scale {@code max|x| / 127} stored as f16,
 * {@code round-half-away-from-zero(x / scale)}), and {@code convert_hf_to_gguf.py}: {@code LlamaModel.permute}
 * (the q/k row order llama.cpp's non-NeoX RoPE expects, applied for the {@code llama} architecture only),
 * {@code Qwen2Model} / {@code Qwen3Model} (no permutation; q/k/v biases; q/k norms), {@code GPT2Model} (Conv1D
 * weights transposed to {@code [out, in]}, {@code output.weight} duplicated from {@code token_embd.weight}),
 * {@code prepare_tensors} (1-D tensors, norms and position embeddings stay F32; a Q8_0 tensor whose rows are not
 * a multiple of 32 falls back to F16) and {@code get_vocab_base} (token types, {@code [PAD<i>]} for ids the
 * tokenizer lacks).
 */
package io.finetune4j.runtime.io.gguf;
