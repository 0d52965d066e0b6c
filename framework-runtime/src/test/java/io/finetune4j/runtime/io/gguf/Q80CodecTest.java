package io.finetune4j.runtime.io.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class Q80CodecTest {
    /** A block whose scale is exactly 1 (max |x| = 127): the quants are the values rounded half away from zero. */
    @Test
    void unitScaleBlockEncodesToHandComputedBytes() {
        float[] block = new float[32];
        block[0] = 127f;
        block[1] = -127f;
        block[2] = 0.5f;   // ties go away from zero: 1, not 0 (banker's rounding would give 0)
        block[3] = -0.5f;  // -1
        block[4] = 2.5f;   // 3, not 2
        block[5] = -2.4f;  // -2
        block[6] = 100.6f; // 101

        byte[] bytes = Q80Codec.encode(block);

        byte[] expected = new byte[34];
        expected[0] = 0x00; // f16(1.0) = 0x3c00, little-endian
        expected[1] = 0x3c;
        expected[2] = 127;
        expected[3] = -127;
        expected[4] = 1;
        expected[5] = -1;
        expected[6] = 3;
        expected[7] = -2;
        expected[8] = 101;
        assertThat(bytes).containsExactly(expected);
    }

    /** max |x| = 12.7: d = 12.7f / 127 = 0.1f, f16(0.1) = 0x2e66; x / d uses the float32 d (1 / 0.1f = 10.0f). */
    @Test
    void scaleIsStoredAsHalfAndQuantsUseTheFloatScale() {
        float[] block = new float[32];
        block[0] = -12.7f;
        block[1] = 0.25f;  // 2.5 -> 3
        block[2] = -0.25f; // -2.5 -> -3
        block[3] = 1.04f;  // 10.4 -> 10

        byte[] bytes = Q80Codec.encode(block);

        assertThat(bytes[0]).isEqualTo((byte) 0x66);
        assertThat(bytes[1]).isEqualTo((byte) 0x2e);
        assertThat(new byte[] {bytes[2], bytes[3], bytes[4], bytes[5], bytes[6]})
                .containsExactly(-127, 3, -3, 10, 0);
        // dequantised with the stored f16 scale 0.0999755859375
        float[] back = Q80Codec.decode(bytes, 0, 32);
        assertThat(back[1]).isEqualTo(3 * 0.0999755859375f);
        assertThat(back[0]).isEqualTo(-127 * 0.0999755859375f);
    }

    @Test
    void zeroBlockHasZeroScaleAndQuants() {
        byte[] bytes = Q80Codec.encode(new float[64]);

        assertThat(bytes).hasSize(68).containsOnly(0);
        assertThat(Q80Codec.decode(bytes, 0, 64)).containsOnly(0f);
    }
}
