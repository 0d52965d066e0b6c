package io.finetune4j.runtime.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.SignatureSnapshot;
import io.finetune4j.runtime.data.TokenizedExample;
import io.finetune4j.runtime.model.ModelLoader;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Pins the public signatures of the runtime's plugin surface ({@link PluginSurface}: classes marked
 * {@code @Stable} or {@code @Experimental}) to {@code src/test/resources/plugin-surface-snapshot.txt}, as
 * framework-api's SpiSnapshotTest pins the SPI. A failure means what plugins may use changed: if deliberate,
 * regenerate with
 * <pre>
 *   mvn -pl framework-runtime test -Dtest=PluginSurfaceSnapshotTest -Dft4j.updateSpiSnapshot=true
 * </pre>
 */
class PluginSurfaceSnapshotTest {
    private static final String UPDATE_PROPERTY = "ft4j.updateSpiSnapshot";
    private static final Path SNAPSHOT = Path.of("src/test/resources/plugin-surface-snapshot.txt");

    @Test
    void pluginSurfaceSignaturesMatchTheSnapshot() throws Exception {
        SignatureSnapshot.assertMatches(SignatureSnapshot.signatures(TokenizedExample.class, "io/finetune4j/runtime",
                PluginSurface::includes), SNAPSHOT, UPDATE_PROPERTY, "The runtime's plugin surface");
    }

    @Test
    void markedClassesAndTheirNestedTypesAreOnTheSurfaceOthersAreNot() {
        assertThat(PluginSurface.includes(TokenizedExample.class)).isTrue();
        assertThat(PluginSurface.includes(io.finetune4j.runtime.chat.RenderedChat.Span.class)).isTrue();
        assertThat(PluginSurface.includes(ModelLoader.class)).isFalse();
    }
}
