package io.finetune4j.peft.ia3;

import io.finetune4j.runtime.io.PeftAdapterDirectory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * An (IA)³ adapter in Hugging Face PEFT's layout: {@code adapter_config.json} (PEFT's {@code IA3Config} keys,
 * sorted) and {@code adapter_model.safetensors} with float32 vectors named
 * {@code base_model.model.<module>.ia3_l} ({@code ia3_l} is a {@code ParameterDict}, so PEFT's state dict has
 * no {@code .weight} suffix once the adapter name is stripped), {@code [out, 1]} or {@code [1, in]}.
 */
final class Ia3AdapterFiles {
    private Ia3AdapterFiles() {}

    static void write(Path dir, Ia3Method method, String baseModelNameOrPath) {
        Map<String, Object> json = PeftAdapterDirectory.commonConfig(Ia3Method.PEFT_TYPE, baseModelNameOrPath);
        json.put("exclude_modules", null);
        json.put("fan_in_fan_out", method.fanInFanOut());
        json.put("feedforward_modules", method.savedFeedforwardModules());
        json.put("init_ia3_weights", true);
        json.put("modules_to_save", null);
        json.put("target_modules", method.savedTargetModules());
        PeftAdapterDirectory.write(dir, json, method.trainableParameters());
    }

    /** Checks {@code dir}'s adapter against {@code method} and copies its vectors into the method's arrays. */
    static void read(Path dir, Ia3Method method) {
        PeftAdapterDirectory.readConfig(dir, Ia3Method.PEFT_TYPE);
        // a different shape means the module was feed-forward in one and not in the other
        PeftAdapterDirectory.readTensors(dir, method.trainableParameters(), List::of, method.config().targetModules(),
                PeftAdapterDirectory.TensorFit.sameShape(" (check feedforward_modules)"));
    }
}
