package io.finetune4j.runner.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.finetune4j.api.ConfigException;
import java.util.Locale;

/**
 * The {@code --device} option. Resolved only when a model is loaded, so commands that need no engine
 * ({@code ft4j plugins}) never start it.
 */
public enum DeviceChoice {
    /** A GPU when the engine sees one, else the CPU. */
    AUTO,
    CPU,
    GPU;

    public Device resolve() {
        return switch (this) {
            case CPU -> Device.cpu();
            case AUTO -> gpuCount() > 0 ? Device.gpu() : Device.cpu();
            case GPU -> {
                if (gpuCount() == 0) {
                    throw new ConfigException("--device gpu: the PyTorch engine sees no GPU (engine "
                            + Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion()
                            + "); use --device cpu, or run with CUDA natives on a machine with a GPU");
                }
                yield Device.gpu();
            }
        };
    }

    private static int gpuCount() {
        return Engine.getInstance().getGpuCount();
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
