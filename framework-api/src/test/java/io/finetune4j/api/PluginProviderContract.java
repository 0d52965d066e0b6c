package io.finetune4j.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.RecordComponent;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/**
 * What every provider must satisfy, whatever its kind. A provider's test implements one of
 * {@link MethodProviderContract}, {@link ObjectiveProviderContract} or {@link EvaluatorProviderContract}
 * (published in framework-api's test-jar) and gets these tests for free.
 *
 * @param <C> the provider's settings record
 */
public interface PluginProviderContract<C extends Record> {
    /** A fresh provider, as {@link ServiceLoader} would create it. */
    PluginProvider<C> provider();

    /** The service interface the provider is listed under in {@code META-INF/services}. */
    Class<?> serviceType();

    @Test
    default void idIsLowerCaseKebab() {
        assertThat(provider().id()).matches("[a-z][a-z0-9-]*");
    }

    @Test
    default void idIsStable() {
        assertThat(provider().id()).isEqualTo(provider().id());
    }

    @Test
    default void defaultsPassValidation() {
        PluginProvider<C> provider = provider();
        ConfigProblems problems = ConfigProblems.at("stages[0]");

        provider.validate(provider.defaults(), problems);

        assertThat(problems.messages()).isEmpty();
    }

    @Test
    default void defaultsAreAValue() {
        assertThat(provider().defaults()).isEqualTo(provider().defaults());
    }

    @Test
    default void configTypeIsARecordOfTheDefaults() {
        PluginProvider<C> provider = provider();

        assertThat(provider.configType().isRecord()).as("configType() is a record").isTrue();
        assertThat(provider.configType()).isEqualTo(provider.defaults().getClass());
    }

    @Test
    default void configRecordCarriesNoAnnotations() {
        Class<C> type = provider().configType();

        assertThat(type.getAnnotations()).as("annotations on " + type.getName()).isEmpty();
        for (RecordComponent component : type.getRecordComponents()) {
            assertThat(component.getAnnotations()).as("annotations on " + component.getName()).isEmpty();
        }
    }

    @Test
    default void isListedInServices() {
        Class<?> providerClass = provider().getClass();

        assertThat(ServiceLoader.load(serviceType(), providerClass.getClassLoader()).stream()
                        .<Class<?>>map(ServiceLoader.Provider::type))
                .as("META-INF/services/" + serviceType().getName() + " lists " + providerClass.getName())
                .contains(providerClass);
    }

    @Test
    default void hasAPublicNoArgConstructor() throws ReflectiveOperationException {
        Class<?> providerClass = provider().getClass();

        assertThat(java.lang.reflect.Modifier.isPublic(providerClass.getModifiers())).isTrue();
        assertThat(providerClass.getConstructor().newInstance()).isNotNull();
    }
}
