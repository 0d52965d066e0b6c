/**
 * The {@code bottleneck} method: sequential bottleneck adapters (Houlsby / Pfeiffer placement) inserted at the
 * decoder blocks' hook points; saved in this project's own files, not mergeable. In a pipeline file:
 *
 * <pre>{@code
 * method: {id: bottleneck, placement: houlsby, reduction_factor: 16, non_linearity: relu}
 * }</pre>
 */
package io.finetune4j.peft.bottleneck;
