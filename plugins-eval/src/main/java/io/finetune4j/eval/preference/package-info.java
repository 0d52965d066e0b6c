/**
 * Preference evaluators: {@code reward-accuracy} (a reward model on held-out pairs), {@code dpo-reward-accuracy}
 * (DPO's implicit reward against a reference) and {@code win-rate} (the evaluated model against a baseline,
 * judged by a reward model), plus the pieces {@code llm-judge} shares: prompt rows, baseline answers and
 * completion log-probabilities.
 */
package io.finetune4j.eval.preference;
