/**
 * The {@code qlora} method: LoRA on a base quantised to NF4, FP4 or int8, as PEFT on a bitsandbytes model.
 * A pipeline stage:
 * <pre>
 * method: {id: qlora, r: 16, lora_alpha: 32, lora_dropout: 0.05, target_modules: all-linear,
 *          quant_type: nf4, double_quant: true, blocksize: 64, compute_dtype: float32}
 * output: {merge: true}   # dequantises the base first: the merged model is a plain float32 checkpoint
 * </pre>
 * Every {@code lora} key is accepted with the same meaning, except {@code init_lora_weights: pissa}.
 */
package io.finetune4j.peft.qlora;
