/**
 * The {@code prompt-tuning} and {@code prefix-tuning} methods: virtual tokens carried by the forward input
 * (a soft prompt, or per-layer key/value prefixes), read and written in Hugging Face PEFT's
 * {@code PROMPT_TUNING} and {@code PREFIX_TUNING} layouts ({@code prompt_embeddings}). Each method registers itself
 * as its model's input transform at creation, so every forward of the model runs it; see
 * {@link io.finetune4j.peft.prompt.VirtualTokenMethod}.
 * In a pipeline file:
 *
 * <pre>{@code
 * method: {id: prompt-tuning, num_virtual_tokens: 20, prompt_tuning_init: TEXT,
 *          prompt_tuning_init_text: "Answer the question:"}
 * method: {id: prefix-tuning, num_virtual_tokens: 20, prefix_projection: true, encoder_hidden_size: 512}
 * }</pre>
 */
package io.finetune4j.peft.prompt;
