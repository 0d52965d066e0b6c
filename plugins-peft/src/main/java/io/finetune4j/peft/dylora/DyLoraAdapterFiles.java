package io.finetune4j.peft.dylora;

import static io.finetune4j.runtime.io.PeftAdapterDirectory.checkSame;
import static io.finetune4j.runtime.io.PeftAdapterDirectory.number;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.finetune4j.runtime.io.PeftAdapterDirectory;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A DyLoRA adapter in PEFT's LoRA layout: {@code adapter_config.json} with {@code peft_type LORA}, PEFT's LoRA keys
 * and a {@code dylora} note ({@code max_rank}, {@code rank}, {@code frozen}, {@code rank_distribution},
 * {@code scaling}), and {@code adapter_model.safetensors} with {@code ...lora_A.weight [r, in]} and
 * {@code ...lora_B.weight [out, r]} at the full rank. At full rank DyLoRA's scaling {@code alpha / r} is LoRA's,
 * so the {@code lora} method and PEFT read it unchanged. Each of {@code save_ranks} is also written to
 * {@code rank-<k>/} as a plain LoRA adapter of rank {@code k}: {@code A[:k]}, {@code B[:, :k]} with the same
 * {@code lora_alpha}, whose LoRA scaling {@code alpha / k} is DyLoRA's at rank {@code k}.
 */
final class DyLoraAdapterFiles {
    private DyLoraAdapterFiles() {}

    static void write(Path dir, DyLoraMethod method, String baseModelNameOrPath) {
        DyLoraConfig config = method.config();
        try (NDManager scratch = NDManager.newBaseManager()) {
            PeftAdapterDirectory.write(dir, json(method, config.r(), baseModelNameOrPath),
                    method.tensorsAtRank(config.r(), scratch));
        }
        for (int k : config.saveRanks()) {
            try (NDManager scratch = NDManager.newBaseManager()) {
                PeftAdapterDirectory.write(dir.resolve("rank-" + k), json(method, k, baseModelNameOrPath),
                        method.tensorsAtRank(k, scratch));
            }
        }
    }

    private static Map<String, Object> json(DyLoraMethod method, int rank, String baseModelNameOrPath) {
        DyLoraConfig config = method.config();
        Map<String, Object> json = PeftAdapterDirectory.commonConfig(DyLoraMethod.PEFT_TYPE, baseModelNameOrPath);
        json.put("alpha_pattern", Map.of());
        json.put("bias", "none");
        json.put("exclude_modules", null);
        json.put("fan_in_fan_out", method.fanInFanOut());
        json.put("init_lora_weights", true);
        json.put("layers_pattern", null);
        json.put("layers_to_transform", null);
        json.put("lora_alpha", number(config.loraAlpha()));
        json.put("lora_dropout", config.loraDropout());
        json.put("modules_to_save", null);
        json.put("r", rank);
        json.put("rank_pattern", Map.of());
        json.put("target_modules", config.targetModules() instanceof String regex ? regex : method.savedTargetModules());
        json.put("use_dora", false);
        json.put("use_rslora", false);
        Map<String, Object> note = new LinkedHashMap<>();
        note.put("max_rank", config.r());
        note.put("rank", rank);
        note.put("frozen", config.frozen());
        note.put("rank_distribution", "uniform");
        note.put("scaling", "lora_alpha / rank");
        json.put("dylora", note);
        return json;
    }

    /**
     * Checks {@code dir}'s adapter ({@code r} and {@code lora_alpha} must be the method's) and copies its full-rank
     * tensors into the method's arrays; the method's {@code rank} then truncates.
     */
    static void read(Path dir, DyLoraMethod method) {
        Path file = PeftAdapterDirectory.configFile(dir);
        JsonNode json = PeftAdapterDirectory.readConfig(dir, DyLoraMethod.PEFT_TYPE);
        DyLoraConfig config = method.config();
        checkSame(file, "r", json.path("r").asDouble(Double.NaN), config.r());
        checkSame(file, "lora_alpha", json.path("lora_alpha").asDouble(Double.NaN), config.loraAlpha());
        PeftAdapterDirectory.readTensors(dir, method.trainableParameters(), List::of, config.targetModules(),
                PeftAdapterDirectory.TensorFit.sameShape(""));
    }
}
