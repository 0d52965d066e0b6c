/**
 * The {@code ia3} method: (IA)³ learned vectors on linear layers, read and written in Hugging Face PEFT's
 * {@code IA3} adapter layout, mergeable. In a pipeline file:
 *
 * <pre>{@code
 * method: {id: ia3, target_modules: [k_proj, v_proj, down_proj], feedforward_modules: [down_proj]}
 * }</pre>
 */
package io.finetune4j.peft.ia3;
