package io.finetune4j.api;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Pins the public signatures of every {@code io.finetune4j.api} type to {@code src/test/resources/spi-snapshot.txt}.
 * A failure here means the SPI changed: if that was deliberate, regenerate the file with
 * <pre>
 *   mvn -pl framework-api test -Dtest=SpiSnapshotTest -Dft4j.updateSpiSnapshot=true
 * </pre>
 * and commit it in the SPI change's own pull request (STYLE.md §9).
 */
class SpiSnapshotTest {
    private static final String UPDATE_PROPERTY = "ft4j.updateSpiSnapshot";
    private static final Path SNAPSHOT = Path.of("src/test/resources/spi-snapshot.txt");

    @Test
    void publicSignaturesMatchTheSnapshot() throws Exception {
        SignatureSnapshot.assertMatches(signatures(), SNAPSHOT, UPDATE_PROPERTY, "The public SPI");
    }

    /** One sorted line per public type and per public or protected member, prefixed by the type's name. */
    static List<String> signatures() throws IOException, URISyntaxException, ClassNotFoundException {
        return SignatureSnapshot.signatures(ConfigException.class, "io/finetune4j/api", type -> true);
    }
}
