/**
 * The {@code bottleneck} method: sequential bottleneck adapters (Houlsby / Pfeiffer placement) inserted at the
 * decoder blocks' hook points; saved in this project's own files, not mergeable. In a pipeline file:
 *
 * <pre>{@code
 * method: {id: bottleneck, placement: houlsby, reduction_factor: 16, non_linearity: swish}
 * }</pre>
 *
 * <p>Semantics follow AdapterHub's {@code adapters} library (github.com/adapter-hub/adapters, {@code
 * src/adapters/methods/modeling.py} {@code Adapter}, {@code src/adapters/configuration/adapter_config.py}
 * {@code SeqBnConfig}/{@code DoubleSeqBnConfig}, and the GPT-2 block that passes {@code layer_norm=None}):
 * Pfeiffer's input is {@code h + x}, Houlsby's is {@code h}; both add the adapter's output to {@code h} and the
 * model then adds {@code x}; {@code init_weights: "bert"} draws both projections from N(0, 0.02) with zero biases;
 * the default non-linearity is {@code relu} for Pfeiffer and {@code swish} for Houlsby.
 */
package io.finetune4j.peft.bottleneck;
