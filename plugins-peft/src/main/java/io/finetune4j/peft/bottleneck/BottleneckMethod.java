package io.finetune4j.peft.bottleneck;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.HookPoint;
import io.finetune4j.peft.tuner.TunerLayers;
import io.finetune4j.runtime.io.PeftAdapterDirectory;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Bottleneck adapters on one model, inserted through {@link CausalLM#addHook}: {@code houlsby} puts one after
 * the attention and one after the MLP sub-layer of every block, {@code pfeiffer} one after the MLP. The base is
 * frozen. Initialisation is AdapterHub's default {@code init_weights: "bert"} ({@code Adapter.init_bert_weights} in
 * adapters {@code methods/modeling.py}), seeded: {@code W_down ~ N(0, 0.02)}, {@code W_up ~ N(0, 0.02)}, both
 * biases 0, so the adapted model starts near, not exactly at, the base (Houlsby et al. §2.1's near-identity).
 *
 * <p>Parameters are named {@code layers.<i>.<after_attention|after_mlp>.adapter_<down|up>.<weight|bias>}
 * ({@code adapter_down.weight [bottleneck, hidden]}, {@code adapter_up.weight [hidden, bottleneck]}) and saved,
 * as float32, in {@code bottleneck_adapter.safetensors} beside {@code bottleneck_config.json}; there is no PEFT
 * format for them. Not mergeable: the non-linearity cannot be folded into the base weights. The model offers no
 * way to remove a hook, so the adapters stay for the model's life ({@link CausalLM#disableAdapters()} turns
 * them off).
 */
public final class BottleneckMethod implements Method {
    static final String CONFIG_FILE = "bottleneck_config.json";
    static final String WEIGHTS_FILE = "bottleneck_adapter.safetensors";
    private static final double INIT_STD = 0.02;

    private final BottleneckConfig config;
    private final int width;
    private final Map<String, NDArray> trainable = new LinkedHashMap<>();
    private final Map<String, BottleneckAdapter> adapters = new LinkedHashMap<>();

    BottleneckMethod(BottleneckConfig config, CausalLM model, long seed) {
        this.config = config;
        int hidden = model.config().hiddenSize();
        this.width = config.width(hidden);
        TunerLayers.freezeBase(model);
        NDManager manager = model.manager().newSubManager();
        Random random = new Random(seed);
        List<HookPoint> points = "houlsby".equals(config.placement())
                ? List.of(HookPoint.AFTER_ATTENTION, HookPoint.AFTER_MLP) : List.of(HookPoint.AFTER_MLP);
        for (int layer = 0; layer < model.config().numHiddenLayers(); layer++) {
            for (HookPoint point : points) {
                String prefix = "layers." + layer + "." + point.name().toLowerCase(Locale.ROOT) + ".";
                float[] down = new float[width * hidden];
                for (int i = 0; i < down.length; i++) {
                    down[i] = (float) (INIT_STD * random.nextGaussian());
                }
                NDArray downWeight = parameter(prefix + "adapter_down.weight", manager.create(down, new Shape(width, hidden)));
                NDArray downBias = parameter(prefix + "adapter_down.bias", manager.zeros(new Shape(width)));
                float[] up = new float[hidden * width];
                for (int i = 0; i < up.length; i++) {
                    up[i] = (float) (INIT_STD * random.nextGaussian());
                }
                NDArray upWeight = parameter(prefix + "adapter_up.weight", manager.create(up, new Shape(hidden, width)));
                NDArray upBias = parameter(prefix + "adapter_up.bias", manager.zeros(new Shape(hidden)));
                BottleneckAdapter adapter = new BottleneckAdapter(downWeight, downBias, upWeight, upBias,
                        config.activation(), "pfeiffer".equals(config.placement()), model);
                model.addHook(layer, point, adapter);
                adapters.put(prefix.substring(0, prefix.length() - 1), adapter);
            }
        }
    }

    private NDArray parameter(String name, NDArray array) {
        array.setRequiresGradient(true);
        trainable.put(name, array);
        return array;
    }

    @Override
    public Map<String, NDArray> trainableParameters() {
        return Collections.unmodifiableMap(trainable);
    }

    /** The adapters by {@code layers.<i>.<after_attention|after_mlp>}, in model order. */
    Map<String, BottleneckAdapter> adapters() {
        return Collections.unmodifiableMap(adapters);
    }

    public BottleneckConfig config() {
        return config;
    }

    /** The bottleneck width in use. */
    public int width() {
        return width;
    }

    @Override
    public void saveAdapter(Path dir, String baseModelNameOrPath) {
        Map<String, Object> json = new TreeMap<>();
        json.put("base_model_name_or_path", baseModelNameOrPath);
        json.put("bottleneck_size", width);
        json.put("method", "bottleneck");
        json.put("non_linearity", config.activation());
        json.put("placement", config.placement());
        json.put("reduction_factor", config.reductionFactor());
        PeftAdapterDirectory.write(dir.resolve(CONFIG_FILE), json, dir.resolve(WEIGHTS_FILE), trainable);
    }

    @Override
    public void loadAdapter(Path dir) {
        Path configFile = dir.resolve(CONFIG_FILE);
        JsonNode json = PeftAdapterDirectory.readJson(configFile);
        checkSame(configFile, "placement", json.path("placement").asText(""), config.placement());
        checkSame(configFile, "bottleneck_size", json.path("bottleneck_size").asText(""), String.valueOf(width));
        checkSame(configFile, "non_linearity", json.path("non_linearity").asText(""), config.activation());
        PeftAdapterDirectory.readTensorsFrom(dir.resolve(WEIGHTS_FILE), trainable, List::of,
                "have no adapter in this model", PeftAdapterDirectory.TensorFit.sameShape(""));
    }

    private static void checkSame(Path file, String key, String saved, String expected) {
        if (!saved.equals(expected)) {
            throw PeftAdapterDirectory.mismatch(file, key, "'" + saved + "'", "'" + expected + "'");
        }
    }
}
