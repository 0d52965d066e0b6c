package io.finetune4j.runner.inject;

import static java.util.Objects.requireNonNull;

import com.google.inject.AbstractModule;
import io.finetune4j.runner.model.AdapterLoader;
import io.finetune4j.runner.model.DeviceChoice;
import io.finetune4j.runner.model.ModelStore;

/** Models and adapters: where they are loaded ({@code --device}) and how adapters find their method. */
public final class CheckpointModule extends AbstractModule {
    private final DeviceChoice device;

    public CheckpointModule(DeviceChoice device) {
        this.device = requireNonNull(device, "device is null");
    }

    @Override
    protected void configure() {
        bind(DeviceChoice.class).toInstance(device);
        bind(ModelStore.class);
        bind(AdapterLoader.class);
    }
}
