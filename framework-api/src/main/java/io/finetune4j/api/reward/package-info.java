/**
 * Rewards for reinforcement-learning objectives and preference evaluation: {@link
 * io.finetune4j.api.reward.RewardFunction} scores completions, found through {@link
 * io.finetune4j.api.reward.RewardFunctionProvider} like every other plugin.
 */
package io.finetune4j.api.reward;
