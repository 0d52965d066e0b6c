package io.finetune4j.runner.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.demo.preference.PreferenceDataWriter;
import io.finetune4j.runner.Main;
import io.finetune4j.runner.testing.TinyProject;
import io.finetune4j.runtime.io.SafetensorsReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code training.gradient_checkpointing: true} trains to the same weights as the plain backward, to float32
 * tolerance, for every method (under SFT) and every objective (under LoRA): two steps each way from the same
 * seed, then every saved tensor compared. Dropout is 0 everywhere (qlora's default 0.05 is set to 0): with dropout
 * the checkpointed step draws its masks from per-layer seeds, valid but not the plain step's masks.
 */
class CheckpointingEquivalenceTest {
    @TempDir
    Path temp;

    @ParameterizedTest(name = "{0} / {1}")
    @CsvSource(delimiter = '|', value = {
        "{id: lora, r: 4, lora_alpha: 8}                                    | sft",
        "{id: lora, r: 4, lora_alpha: 8, use_dora: true}                    | sft",
        "{id: adalora, init_r: 4, target_r: 2, total_step: 2}               | sft",
        "{id: ia3}                                                          | sft",
        "{id: bottleneck}                                                   | sft",
        "{id: prompt-tuning, num_virtual_tokens: 3}                         | sft",
        "{id: prefix-tuning, num_virtual_tokens: 3}                         | sft",
        "{id: qlora, r: 4, lora_alpha: 8, lora_dropout: 0.0, blocksize: 64} | sft",
        "full                                                               | sft",
        "{id: lora, r: 4, lora_alpha: 8}                                    | dpo",
        "{id: lora, r: 4, lora_alpha: 8}                                    | orpo",
        "{id: lora, r: 4, lora_alpha: 8}                                    | reward",
        "{id: lora, r: 4, lora_alpha: 8}                                    | kto",
        "{id: lora, r: 4, lora_alpha: 8}                                    | simpo",
        "{id: lora, r: 4, lora_alpha: 8}                                    | {id: ppo, response_length: 4, num_mini_batches: 1}",
        "{id: lora, r: 4, lora_alpha: 8}                                    | {id: grpo, num_generations: 2, max_completion_length: 4}",
    })
    void checkpointedTrainingEndsInThePlainWeights(String method, String objective) throws Exception {
        Map<String, float[]> plain = train(method.strip(), objective.strip(), false);
        Map<String, float[]> checkpointed = train(method.strip(), objective.strip(), true);

        assertThat(checkpointed.keySet()).isEqualTo(plain.keySet()).isNotEmpty();
        for (Map.Entry<String, float[]> tensor : plain.entrySet()) {
            float[] expected = tensor.getValue();
            float[] actual = checkpointed.get(tensor.getKey());
            assertThat(actual).as(tensor.getKey()).hasSameSizeAs(expected);
            for (int i = 0; i < expected.length; i++) {
                double tolerance = 1e-4 + 1e-3 * Math.abs(expected[i]);
                assertThat((double) actual[i]).as("%s[%d]", tensor.getKey(), i)
                        .isBetween(expected[i] - tolerance, expected[i] + tolerance);
            }
        }
    }

    private Map<String, float[]> train(String method, String objective, boolean checkpointing) throws Exception {
        String name = (checkpointing ? "ckpt-" : "plain-") + Math.abs((method + objective).hashCode());
        TinyProject project = new TinyProject(temp.resolve(name + "-project"));
        Path data = project.dir().resolve("data");
        PreferenceDataWriter.write(data, 42);
        String id = objective.startsWith("{") ? objective.replaceAll(".*id: ([a-z]+).*", "$1") : objective;
        String train = switch (id) {
            case "dpo", "orpo", "reward", "kto", "simpo" -> "data/preferences-train.jsonl";
            default -> "data/train.jsonl";
        };
        String reward = id.equals("ppo") || id.equals("grpo") ? "    reward: {id: exact-answer}\n" : "";
        Path pipeline = project.write("pipeline.yaml", """
                name: equivalence
                seed: 5
                stages:
                  - name: only
                    base: {init: model/config.json, tokenizer: tok}
                    method: %s
                    objective: %s
                %s    data: {train: %s}
                    training: {max_steps: 2, batch_size: 2, learning_rate: 1.0e-2, max_length: 48,
                               gradient_checkpointing: %s}
                    output: {merge: false}
                """.formatted(method, objective, reward, train, checkpointing));
        Path run = temp.resolve(name + "-run");
        StringWriter err = new StringWriter();
        int code = new Main(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), Optional.empty())
                .execute("run", pipeline.toString(), "--output", run.toString(), "--device", "cpu");
        assertThat(code).as(err.toString()).isZero();
        Map<String, float[]> tensors = new TreeMap<>();
        try (Stream<Path> files = Files.walk(run.resolve("only"));
             NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            for (Path file : files.filter(p -> p.toString().endsWith(".safetensors"))
                    .filter(p -> !p.toString().contains("checkpoints")).toList()) {
                try (SafetensorsReader reader = SafetensorsReader.open(file)) {
                    for (Map.Entry<String, NDArray> tensor : reader.loadAll(manager).entrySet()) {
                        tensors.put(run.resolve("only").relativize(file) + ":" + tensor.getKey(),
                                tensor.getValue().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray());
                    }
                }
            }
        }
        return tensors;
    }
}
