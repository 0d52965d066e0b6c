package io.finetune4j.peft.lora;

import io.finetune4j.api.method.NamedAdapters;
import java.nio.file.Path;
import java.util.List;

/** A {@link LoraMethod}'s adapters through the SPI, for runners that cannot see the class. */
final class LoraNamedAdapters implements NamedAdapters {
    private final LoraMethod method;

    LoraNamedAdapters(LoraMethod method) {
        this.method = method;
    }

    @Override public List<String> adapterNames() { return List.copyOf(method.adapterNames()); }

    @Override public List<String> activeAdapters() { return method.activeAdapters(); }

    @Override public void loadAdapter(Path dir, String name) { method.loadAdapter(dir, name); }

    @Override public void setActiveAdapters(List<String> names) { method.setAdapters(names); }

    @Override
    public void addWeightedAdapter(List<String> names, List<Double> weights, String newName, String type) {
        method.addWeightedAdapter(names, weights, newName, type);
    }

    @Override
    public void addWeightedAdapter(List<String> names, List<Double> weights, String newName, String type,
                                   Double density, String majoritySignMethod) {
        method.addWeightedAdapter(names, weights, newName, type, null, density,
                majoritySignMethod == null ? "total" : majoritySignMethod);
    }

    @Override public void deleteAdapter(String name) { method.deleteAdapter(name); }
}
