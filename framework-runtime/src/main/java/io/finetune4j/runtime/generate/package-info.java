/** Text generation with a KV cache (greedy, temperature, top-k, top-p) and sequence log-probabilities. */
package io.finetune4j.runtime.generate;
