package io.finetune4j.peft.prompt;

/**
 * Settings of {@code p-tuning}, PEFT's {@code PromptEncoderConfig} names and defaults.
 *
 * @param numVirtualTokens soft-prompt length
 * @param encoderReparameterizationType {@code MLP} (PEFT's recommended type); {@code LSTM} is not implemented
 * @param encoderHiddenSize width of the prompt encoder; 0 means the model's hidden size
 * @param encoderNumLayers layers of the LSTM encoder; the MLP always has PEFT's three linear layers
 * @param encoderDropout dropout of the LSTM encoder; the MLP has none
 */
public record PTuningConfig(int numVirtualTokens, String encoderReparameterizationType, int encoderHiddenSize,
                            int encoderNumLayers, double encoderDropout) {}
