package io.finetune4j.peft.prompt;

/**
 * Settings of the {@code prefix-tuning} method (Li and Liang, "Prefix-Tuning: Optimizing Continuous Prompts for
 * Generation", 2021), named and defaulted as Hugging Face PEFT's {@code PrefixTuningConfig}, except
 * {@code num_virtual_tokens}, which PEFT requires and this method defaults to 20.
 *
 * @param numVirtualTokens prefix length in positions, {@code > 0}
 * @param prefixProjection train the prefix through PEFT's reparameterisation MLP
 *     ({@code Linear(token_dim, encoder_hidden_size) → tanh → Linear(encoder_hidden_size, layers·2·token_dim)});
 *     the MLP is folded into a plain prefix when saved
 * @param encoderHiddenSize the MLP's width; {@code 0} means PEFT's default, {@code token_dim}; ignored without
 *     {@code prefix_projection} (PEFT writes it into every prefix-tuning config)
 */
public record PrefixTuningConfig(int numVirtualTokens, boolean prefixProjection, int encoderHiddenSize) {}
