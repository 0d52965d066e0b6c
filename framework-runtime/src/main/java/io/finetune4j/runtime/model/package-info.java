/**
 * Decoder-only language models over Hugging Face checkpoints (families under {@code family/}, listed in
 * {@link io.finetune4j.runtime.model.family.ModelFamilies}: Llama, Mistral, Qwen2, Qwen3 and GPT-2) in raw
 * NDArray ops (float32), with KV cache, packed/padded attention masks, prefix embeddings, replaceable
 * linear layers and block hooks. {@link io.finetune4j.runtime.model.ModelLoader} reads and writes
 * checkpoint directories; {@link io.finetune4j.runtime.model.ModelFactory} makes random and
 * tensor-backed models.
 */
package io.finetune4j.runtime.model;
