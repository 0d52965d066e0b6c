/**
 * Quantised frozen linear layers for QLoRA, following bitsandbytes: {@link io.finetune4j.peft.quant.Nf4}
 * (the NF4 code and the CUDA kernel's thresholds), {@link io.finetune4j.peft.quant.Nf4Weights} (blockwise
 * 4-bit quantisation, first element in the high nibble, optional double quantisation of the absmax with
 * {@link io.finetune4j.peft.quant.DynamicMap}, bitsandbytes' dynamic 8-bit map, in blocks of 256),
 * {@link io.finetune4j.peft.quant.Nf4Linear} and {@link io.finetune4j.peft.quant.Int8Linear} (row-wise
 * absmax int8, LLM.int8() without its outlier decomposition), and
 * {@link io.finetune4j.peft.quant.QuantMemory}. bitsandbytes' FP4 ({@link io.finetune4j.peft.quant.Fp4})
 * uses the same blocking, packing and double quantisation with another code ({@link
 * io.finetune4j.peft.quant.FourBitType}). A 4-bit type with double quantisation stores
 * {@code 4 + 8/64 + 32/(64·256) ≈ 4.127} bits per weight, {@code ≈ 0.129×} of float32. Computation is
 * float32 throughout (no bf16 on DJL's CPU engine).
 */
package io.finetune4j.peft.quant;
